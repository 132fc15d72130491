package experiment

import (
	"os"
	"path/filepath"
	"testing"
)

func TestTempCache(t *testing.T) {
	c, remove := TempCache("experiment-test-")
	root := c.Root()
	if base := filepath.Base(root); len(base) <= len("experiment-test-") || base[:len("experiment-test-")] != "experiment-test-" {
		t.Errorf("root %q not named after the pattern", root)
	}
	if err := os.WriteFile(filepath.Join(root, "x"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	remove()
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Errorf("after remove: stat %s: %v", root, err)
	}
}
