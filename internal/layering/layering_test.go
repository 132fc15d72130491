// Package layering holds the test that keeps the package layers of docs/DESIGN.md: data → path/timesteps →
// objective → backbone → trainer → sampler → metrics → widgets, experiments above, nothing importing
// upward or sideways.
package layering

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/mixflow/mixflow/"

// pkg is what `go list -json` says of a package.
type pkg struct {
	ImportPath string
	Name       string
	GoFiles    []string
	Imports    []string
	Deps       []string
}

func list(t *testing.T, patterns ...string) []pkg {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-json=ImportPath,Name,GoFiles,Imports,Deps"}, patterns...)...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	for dec := json.NewDecoder(bytes.NewReader(out)); dec.More(); {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestBackbonesImportNoLayerAbove: no package under mixflowlib/backbone depends (directly or not) on the
// trainer, the sampler, the objectives, an experiment or the widgets.
func TestBackbonesImportNoLayerAbove(t *testing.T) {
	above := []string{"mixflowlib/trainer", "mixflowlib/sampler", "mixflowlib/objective", "mixflowlib/experiment", "widgets"}
	for _, p := range list(t, "./mixflowlib/backbone/...") {
		for _, d := range p.Deps {
			for _, a := range above {
				if d == module+a || strings.HasPrefix(d, module+a+"/") {
					t.Errorf("%s depends on %s", strings.TrimPrefix(p.ImportPath, module), strings.TrimPrefix(d, module))
				}
			}
		}
	}
}

// sideways are the imports between experiment packages allowed: each study's views import the study,
// the image plug-ins (raeexp, repaexp, t2iexp, imagestudy) import imageexp, their lab. Every experiment
// package may import the core, mixflowlib/experiment, and its view, experiment/expview (see core).
var sideways = map[string]bool{
	"experiment/imageexp/imageview → experiment/imageexp": true,
	"experiment/toyexp/toyview → experiment/toyexp":       true,
	"experiment/raeexp → experiment/imageexp":             true,
	"experiment/repaexp → experiment/imageexp":            true,
	"experiment/t2iexp → experiment/imageexp":             true,
	"experiment/imagestudy → experiment/imageexp":         true,
	// studyview draws imagestudy's results with imageview's metric labels.
	"experiment/imagestudy/studyview → experiment/imagestudy":         true,
	"experiment/imagestudy/studyview → experiment/imageexp":           true,
	"experiment/imagestudy/studyview → experiment/imageexp/imageview": true,
}

// core are the packages of the experiment core that every experiment package may import.
var core = map[string]bool{"experiment": true, "experiment/expview": true}

// TestExperimentsImportNoSibling: an experiment package imports no other experiment package beyond the
// allowed list.
func TestExperimentsImportNoSibling(t *testing.T) {
	for _, p := range list(t, "./mixflowlib/experiment/...") {
		from := strings.TrimPrefix(p.ImportPath, module+"mixflowlib/")
		for _, imp := range p.Imports {
			to, ok := strings.CutPrefix(imp, module+"mixflowlib/")
			if ok && strings.HasPrefix(to, "experiment/") && !core[to] && !sideways[from+" → "+to] {
				t.Errorf("%s imports the sibling experiment package %s", from, to)
			}
		}
	}
}

// TestLibraryPackagesHaveCode: every library package has a non-test Go file (a doc.go at least), so that
// `go build` and `kernel install`'s pre-warm, which list the library's packages, do not warn about a
// package with only test files.
func TestLibraryPackagesHaveCode(t *testing.T) {
	for _, p := range list(t, "./mixflowlib/...", "./widgets/...", "./datasets/...") {
		if len(p.GoFiles) == 0 {
			t.Errorf("%s has only test files: add a doc.go with its package comment", strings.TrimPrefix(p.ImportPath, module))
		}
	}
}
