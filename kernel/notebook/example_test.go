package notebook_test

import (
	"fmt"

	"github.com/mixflow/mixflow/kernel/notebook"
)

// A cell whose program panicked: GoNB printed the panic and "exit status 2" on stderr.
func ExampleNotebook_Failures() {
	nb, err := notebook.Parse([]byte(`{
	  "nbformat": 4, "nbformat_minor": 5,
	  "metadata": {"kernelspec": {"name": "mixflow", "display_name": "MixFlow (Go)", "language": "go"}},
	  "cells": [{"cell_type": "code", "execution_count": 1, "metadata": {}, "source": "func main() { panic(\"boom\") }",
	             "outputs": [{"output_type": "stream", "name": "stderr", "text": "panic: boom\n\ngoroutine 1 [running]:\n"},
	                         {"output_type": "stream", "name": "stderr", "text": "exit status 2\n"}]}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(nb.Kernel.Name)
	for _, f := range nb.Failures() {
		fmt.Println(f)
	}
	// Output:
	// mixflow
	// cell 1 (In [1]): panic: boom
}
