package objective_test

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/objective"
	"github.com/mixflow/mixflow/mixflowlib/path"
)

// zeroNet is a stand-in backbone that always predicts zero velocity.
type zeroNet struct{}

func (zeroNet) Velocity(_ *model.Scope, x, _ *Node, _ nn.Cond) *Node { return ZerosLike(x) }

// Computing the MixFlow loss of a batch from fixed random draws (the deterministic core), and the (t, m)
// pairs it trained on: with U = 0.25, t = √U = 0.5; with U' = 0.5 and γ = 0.8, m = 0.5·(1 − 0.4) = 0.3.
func ExampleMixFlow_LossFromDraws() {
	obj, err := objective.NewMixFlow(0.8)
	if err != nil {
		panic(err)
	}
	store := model.NewStore()
	exec := model.MustNewExec(backend.Must(), store, func(scope *model.Scope, x1, x0, uTime, uSlow *Node) (*Node, *Node, *Node) {
		terms := obj.LossFromDraws(scope, zeroNet{}, x1, nn.Cond{}, objective.Draws{X0: x0, UTime: uTime, USlow: uSlow})
		return terms.Loss, terms.T, terms.M
	})
	x1 := tensors.FromValue([][]float32{{1, 2}, {3, 0}}) // data
	x0 := tensors.FromValue([][]float32{{0, 0}, {1, 1}}) // noise
	out := exec.MustCall(x1, x0, []float32{0.25, 1}, []float32{0.5, 0})
	// Target x1 − x0 = (1, 2) and (2, −1); a zero prediction has loss mean(1, 4, 4, 1) = 2.5.
	fmt.Printf("loss %.2f, t %.2f, m %.2f\n", out[0].Value(), out[1].Value(), out[2].Value())
	// Output:
	// loss 2.50, t [0.50 1.00], m [0.30 1.00]
}

// Drawing a MixFlow batch in the graph (from the Store's RNG) and checking the slowed times.
func ExampleMixFlow_TermsGraph() {
	obj, _ := objective.NewMixFlow(0.8)
	obj.Path = path.GVP{}
	obj.Target = objective.TargetAtT // the official code's target, different from the paper's for GVP
	store := model.NewStore()
	store.RootScope().SetParam(model.ParamInitialSeed, int64(7))
	exec := model.MustNewExec(backend.Must(), store, func(scope *model.Scope, g *Graph) (*Node, *Node) {
		x1 := Ones(g, shapes.Make(dtypes.Float32, 512, 2))
		terms := obj.TermsGraph(scope.In("model"), zeroNet{}, x1, nn.Cond{})
		return terms.T, terms.M
	})
	out := exec.MustCall()
	ts, ms := out[0].Value().([]float32), out[1].Value().([]float32)
	inRange := true
	for i := range ts {
		inRange = inRange && ms[i] <= ts[i] && ms[i] >= 0.2*ts[i]-1e-6
	}
	fmt.Println(obj.Name())
	fmt.Println("samples:", len(ts), "all m in [(1−γ)t, t]:", inRange)
	// Output:
	// mixflow(gamma=0.8,path=gvp,times=beta21,target=t)
	// samples: 512 all m in [(1−γ)t, t]: true
}

// Input Perturbation with the published default γ_ip = 0.1: the network sees t·x1 + (1 − t)(x0 + 0.1·ξ)
// and regresses onto the unperturbed x1 − x0. γ_ip = 0 is flow matching.
func ExampleInputPerturbation() {
	o := objective.InputPerturbation{Gamma: objective.DefaultInputPerturbationGamma}
	fmt.Println(o.Name(), o.Validate())
	fmt.Println(objective.InputPerturbation{Gamma: -1}.Validate())
	// Output:
	// input-perturbation(gamma=0.1,times=uniform) <nil>
	// objective: input perturbation gamma -1 must be finite and >= 0
}

// The baseline arms of an exposure-bias study as specs (plain data, what experiment caches hash): Input
// Perturbation with the default γ_ip and a linear decay over 2000 steps, and the γ = 0 MixFlow control.
func ExampleInputPerturbationSpec() {
	ip := objective.InputPerturbationSpec(0, 0) // 0: DefaultInputPerturbationGamma
	ip.IPDecaySteps = 2000
	obj, err := ip.Build()
	if err != nil {
		panic(err)
	}
	fmt.Println(ip.Label(), "→", obj.Name())
	fmt.Println(objective.MixFlowSpec(0, 0).Label())
	_, err = objective.InputPerturbationSpec(-0.1, 0).Build()
	fmt.Println(err)
	// Output:
	// IP γ=0.1 decay=2000 → input-perturbation(gamma=0.1,times=uniform,decay-steps=2000)
	// MixFlow γ=0 control
	// objective: input perturbation gamma -0.1 must be finite and >= 0
}
