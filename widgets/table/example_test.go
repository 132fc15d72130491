package table_test

import (
	"fmt"

	"github.com/mixflow/mixflow/widgets/table"
)

func ExampleTable() {
	t := table.New("method", "FID ↓", "NFE")
	_ = t.Add("baseline", table.PM{Mean: 16.57, Err: 0.12}, 50)
	_ = t.Add("MixFlow (γ = 0.8)", table.PM{Mean: 15.64, Err: 0.10}, 50)
	_ = t.Best(1, table.Lower)
	fmt.Print(t.Markdown()) // t.Display() in a notebook
	// Output:
	// | method | FID ↓ | NFE |
	// |---|---:|---:|
	// | baseline | 16.570 ± 0.120 | 50 |
	// | MixFlow (γ = 0.8) | **15.640 ± 0.100** | 50 |
}
