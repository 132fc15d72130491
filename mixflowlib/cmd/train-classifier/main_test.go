package main

import (
	"testing"

	"github.com/mixflow/mixflow/internal/cli/clitest"
)

func TestFlags(t *testing.T) { clitest.CheckTrainer(t, run, "train-classifier", summary, nil) }
