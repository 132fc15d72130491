package imagestudy_test

import (
	"fmt"
	"strings"

	"github.com/mixflow/mixflow/mixflowlib/experiment/imagestudy"
)

// The full study's arms and samplers; imagestudy.RunStudy(ctx, lab, spec, progress) trains and
// evaluates them (about an hour on two CPU cores), and QuickStudy is its smoke test.
func ExampleFullStudy() {
	spec := imagestudy.FullStudy(8000)
	for _, a := range spec.Arms {
		fmt.Println(a.Label())
	}
	var names []string
	for _, s := range imagestudy.StudySamplers() {
		names = append(names, s.Label())
	}
	fmt.Println(strings.Join(names, "; "))
	fmt.Println(spec.Validate())
	// Output:
	// FM
	// MixFlow γ=0 control
	// MixFlow γ=0.2
	// MixFlow γ=0.4
	// MixFlow γ=0.8
	// IP γ=0.1
	// euler 5; euler 10; euler 20; heun 10
	// <nil>
}
