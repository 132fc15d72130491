// Package jscheck checks in tests that the widgets' page scripts parse, with node when it is installed.
package jscheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Parse fails t when node --check rejects src (saved as name in a temporary directory), and skips t
// when node is not installed, saying what then covers the script (e.g. "the browser test").
func Parse(t *testing.T, name, src, coveredBy string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skipf("node not installed: %s covers %s", coveredBy, name)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(node, "--check", p).CombinedOutput(); err != nil {
		t.Fatalf("%s does not parse: %v\n%s", name, err, out)
	}
}
