package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestIsBareGet(t *testing.T) {
	for args, want := range map[string]bool{
		"get":                    true,
		"get -t":                 true,
		"get example.com/x@v1.0": false,
		"build":                  false,
		"":                       false,
	} {
		if got := isBareGet(strings.Fields(args)); got != want {
			t.Errorf("isBareGet(%q) = %v, want %v", args, got, want)
		}
	}
}

func TestProvided(t *testing.T) {
	mods := []string{"github.com/gomlx/gomlx", "github.com/mixflow/mixflow"}
	for path, want := range map[string]bool{
		"fmt":                             true,
		"net/http":                        true,
		"C":                               true,
		"github.com/gomlx/gomlx":          true,
		"github.com/gomlx/gomlx/ml/model": true,
		"github.com/gomlx/gomlxextra/pkg": false,
		"github.com/mixflow/mixflow/mixflowlib/backend": true,
		"example.com/other":                             false,
	} {
		if got := provided(path, mods); got != want {
			t.Errorf("provided(%q) = %v, want %v", path, got, want)
		}
	}
}

// realGo returns the Go 1.27.3 go command (not a GOTOOLCHAIN switcher).
func realGo(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("go", "env", "GOROOT")
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=go1.27.3")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "bin", "go")
}

func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(filepath.Dir(wd)) // kernel/gowrap -> repository root
}

// TestCellModuleBuildsOffline sets up a module the way GoNB does (go mod init, go work use REPO .),
// with the wrapper's requirement pinning, and builds a cell importing a dependency of the repository
// with the module proxy switched off.
func TestCellModuleBuildsOffline(t *testing.T) {
	goCmd, repo := realGo(t), repoRoot(t)
	t.Chdir(t.TempDir())
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOFLAGS", "-tags=noxla")
	t.Setenv("GOTOOLCHAIN", "go1.27.3")
	t.Setenv("GOEXPERIMENT", "simd")
	for _, args := range [][]string{{"mod", "init", "gonb_cell"}, {"work", "init"}, {"work", "use", repo, "."}} {
		if code := runReal(goCmd, args); code != 0 {
			t.Fatalf("go %v exited %d", args, code)
		}
	}
	if err := pinWorkspaceRequirements(goCmd); err != nil {
		t.Fatal(err)
	}
	var repoMod, cellMod modFile
	if err := goJSON(goCmd, &repoMod, "mod", "edit", "-json", filepath.Join(repo, "go.mod")); err != nil {
		t.Fatal(err)
	}
	if err := goJSON(goCmd, &cellMod, "mod", "edit", "-json"); err != nil {
		t.Fatal(err)
	}
	have := map[string]string{}
	for _, r := range cellMod.Require {
		have[r.Path] = r.Version
	}
	for _, r := range repoMod.Require {
		if have[r.Path] != r.Version {
			t.Errorf("cell go.mod requires %s %q, want the repository's %s", r.Path, have[r.Path], r.Version)
		}
	}
	// Pinning twice adds nothing.
	if err := pinWorkspaceRequirements(goCmd); err != nil {
		t.Fatal(err)
	}
	var again modFile
	if err := goJSON(goCmd, &again, "mod", "edit", "-json"); err != nil {
		t.Fatal(err)
	}
	if len(again.Require) != len(cellMod.Require) {
		t.Errorf("second pinning changed the requirements: %d -> %d", len(cellMod.Require), len(again.Require))
	}

	cell := `package main

import (
	"fmt"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/mixflow/mixflow/mixflowlib/env"
)

func main() { fmt.Println(gonbui.IsNotebook, env.Quick()) }
`
	if err := os.WriteFile("main.go", []byte(cell), 0o644); err != nil {
		t.Fatal(err)
	}
	if !importsResolved(goCmd) {
		t.Error("importsResolved = false for imports of the repository and its dependencies")
	}
	if out, err := exec.Command(goCmd, "build", "-o", "cell", ".").CombinedOutput(); err != nil {
		t.Fatalf("offline build of the cell failed: %v\n%s", err, out)
	}
	if err := os.WriteFile("extra.go", []byte("package main\n\nimport _ \"example.com/not/required\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if importsResolved(goCmd) {
		t.Error("importsResolved = true although example.com/not/required is in no module")
	}
}
