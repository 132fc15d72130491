package nn

import (
	"sort"

	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/ml/model"
)

// auxLossKey is the graph parameter under which auxiliary losses are kept.
const auxLossKey = "/mixflow/aux_losses"

// AddAuxLoss registers an auxiliary scalar loss term (already weighted) for the graph being built,
// e.g. REPA's representation-alignment loss λ·L_proj. The trainer adds every registered term to the
// objective's loss and logs each one under its name. Registering the same name twice sums the terms.
// A non-scalar loss is reduced with its mean.
func AddAuxLoss(name string, loss *Node) {
	g := loss.Graph()
	if !loss.Shape().IsScalar() {
		loss = ReduceAllMean(loss)
	}
	terms := AuxLosses(g)
	next := make(map[string]*Node, len(terms)+1)
	for k, v := range terms {
		next[k] = v
	}
	if prev, ok := next[name]; ok {
		loss = Add(prev, loss)
	}
	next[name] = loss
	model.SetGraphParam(g, auxLossKey, next)
}

// AuxLosses returns the auxiliary loss terms registered for g with AddAuxLoss, by name.
// The map must not be modified.
func AuxLosses(g *Graph) map[string]*Node {
	v, found := model.GetGraphParam(g, auxLossKey)
	if !found {
		return nil
	}
	return v.(map[string]*Node)
}

// AuxLossNames returns the names of the registered auxiliary losses of g, sorted.
func AuxLossNames(g *Graph) []string {
	terms := AuxLosses(g)
	names := make([]string, 0, len(terms))
	for k := range terms {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
