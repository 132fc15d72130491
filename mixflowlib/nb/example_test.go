package nb_test

import (
	"fmt"
	"strconv"

	"github.com/mixflow/mixflow/mixflowlib/nb"
)

func Example() {
	// In a cell: on an error the cell stops with its one-line message.
	n := nb.Must(strconv.Atoi("7"))
	fmt.Println("parsed", n)
	// Output: parsed 7
}
