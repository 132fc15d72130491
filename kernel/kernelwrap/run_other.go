//go:build !linux

package main

import "io"

// run starts GoNB as a plain child: without Linux's parent-death signal and child subreaper there is
// no supervisor, and a hard-killed kernel can leave gopls behind.
func run(args []string, logMode string, stderr io.Writer) int {
	return runGoNB(args, logMode, stderr, supervision{})
}
