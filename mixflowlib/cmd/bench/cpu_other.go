//go:build !unix

package main

// cpuSeconds is not measured on this platform; CPU-time columns read 0.
func cpuSeconds() float64 { return 0 }
