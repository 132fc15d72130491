package backend_test

import (
	"fmt"

	"github.com/gomlx/compute"

	"github.com/mixflow/mixflow/mixflowlib/backend"
)

// A package that accepts a backend from its caller resolves it with Or: the caller's when given, the
// process-wide one for nil.
func ExampleOr() {
	shared, err := backend.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	var passed compute.Backend // a caller that passed none
	b, err := backend.Or(passed)
	fmt.Println(b == shared, err)
	// Output: true <nil>
}
