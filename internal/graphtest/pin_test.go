package graphtest

import (
	"strings"
	"testing"
)

func TestSIMDNamesAFamily(t *testing.T) {
	s := SIMD()
	for _, part := range strings.Split(s, "/") {
		if part != SIMDAVX512 && part != SIMDAVX2 && part != SIMDGeneric {
			t.Fatalf("SIMD() = %q: part %q is no kernel family", s, part)
		}
	}
}

func TestPinPicksTheRunningFamily(t *testing.T) {
	if got := Pin(t, map[string]string{SIMD(): "mine", "other": "theirs"}); got != "mine" {
		t.Fatalf("Pin = %q, want the running family's pin", got)
	}
}
