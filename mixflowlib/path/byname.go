package path

import (
	"fmt"
	"strconv"
	"strings"
)

// Names lists the path names ByName accepts without parameters.
var Names = []string{"linear", "gvp", "vp"}

// ByName returns the path with the given name, case-insensitively: "linear" (SiT's "ICPlan"), "gvp", "vp"
// (default schedule) or "vp(sigmaMin,sigmaMax)". It inverts Path.Name for every path of this package.
func ByName(name string) (Path, error) {
	key := strings.ToLower(strings.ReplaceAll(name, " ", ""))
	switch key {
	case "linear", "icplan":
		return Linear{}, nil
	case "gvp", "gvpcplan":
		return GVP{}, nil
	case "vp", "vpcplan":
		return VP{}, nil
	}
	if args, ok := strings.CutPrefix(key, "vp("); ok && strings.HasSuffix(args, ")") {
		parts := strings.Split(strings.TrimSuffix(args, ")"), ",")
		if len(parts) != 2 {
			return nil, fmt.Errorf("path: %q: vp takes two parameters, vp(sigmaMin,sigmaMax)", name)
		}
		var v [2]float64
		for i, s := range parts {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, fmt.Errorf("path: %q: parameter %q is not a number", name, s)
			}
			v[i] = f
		}
		p, err := NewVP(v[0], v[1])
		if err != nil {
			return nil, fmt.Errorf("path: %q: %w", name, err)
		}
		return p, nil
	}
	return nil, fmt.Errorf("path: unknown path %q: use one of linear, gvp, vp, vp(sigmaMin,sigmaMax)", name)
}
