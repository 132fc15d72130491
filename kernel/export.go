package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// exportTemplate is the nbconvert template of kernel/nbconvert: JupyterLab's HTML without the
// require.js and MathJax scripts that Debian's nbconvert loads from this machine's disk.
const exportTemplate = "mixflow"

// cmdExport writes notebooks as standalone HTML pages through nbconvert with the MixFlow template.
func cmdExport(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("export", stderr, "export [flags] NOTEBOOK.ipynb...")
	outDir := fs.String("out", "", "write NAME.html into `DIR` (default: beside each notebook)")
	python := fs.String("python", defaultPython(), "Python interpreter with nbconvert ($MIXFLOW_PYTHON)")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code, nil
	}
	if len(pos) == 0 {
		return 2, fmt.Errorf("kernel export: no notebooks given (e.g. go run ./kernel export --out build/html notebooks/*.ipynb)")
	}
	for _, p := range pos {
		if !strings.HasSuffix(p, ".ipynb") {
			return 2, fmt.Errorf("kernel export: %s is not a .ipynb notebook", p)
		}
		if _, err := os.Stat(p); err != nil {
			return 2, fmt.Errorf("kernel export: %s: %s", p, describeFSError(err))
		}
	}
	repo, err := repoHere()
	if err != nil {
		return 2, err
	}
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			return 2, fmt.Errorf("kernel export: creating %s: %s", *outDir, describeFSError(err))
		}
	}
	if err := exec.CommandContext(ctx, *python, "-c", "import nbconvert").Run(); err != nil {
		return 2, fmt.Errorf("kernel export: %s cannot import nbconvert (%v); sudo apt-get install jupyter-nbconvert (or run scripts/setup.sh), or point $MIXFLOW_PYTHON at a Python that has it", *python, err)
	}
	for _, p := range pos {
		dir := *outDir
		if dir == "" {
			dir = filepath.Dir(p)
		}
		if err := exportHTML(ctx, *python, repo, p, dir); err != nil {
			return 1, err
		}
		fmt.Fprintf(stdout, "kernel export: %s\n", filepath.Join(dir, strings.TrimSuffix(filepath.Base(p), ".ipynb")+".html"))
	}
	return 0, nil
}

// exportHTML converts one notebook into dir/NAME.html. A notebook whose language_info does not name
// Go's lexer (executed before kernel exec named it) is converted from a corrected temporary copy.
func exportHTML(ctx context.Context, python, repo, nb, dir string) error {
	src, err := filepath.Abs(nb)
	if err != nil {
		return fmt.Errorf("kernel export: %s: %v", nb, err)
	}
	data, err := os.ReadFile(nb)
	if err != nil {
		return fmt.Errorf("kernel export: %s: %s", nb, describeFSError(err))
	}
	var nbk map[string]any
	if err := json.Unmarshal(data, &nbk); err != nil {
		return fmt.Errorf("kernel export: %s is not notebook JSON: %v", nb, err)
	}
	if nameGo(nbk) {
		fixed, err := json.Marshal(nbk)
		if err != nil {
			return fmt.Errorf("kernel export: %s: %v", nb, err)
		}
		tmp, err := os.MkdirTemp("", "mixflow-export-")
		if err != nil {
			return fmt.Errorf("kernel export: %s", describeFSError(err))
		}
		defer os.RemoveAll(tmp)
		src = filepath.Join(tmp, filepath.Base(nb))
		if err := os.WriteFile(src, fixed, 0o644); err != nil {
			return fmt.Errorf("kernel export: %s", describeFSError(err))
		}
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("kernel export: %s: %v", dir, err)
	}
	cmd := exec.CommandContext(ctx, python, "-m", "nbconvert", "--to", "html", "--template", exportTemplate,
		"--TemplateExporter.extra_template_basedirs="+filepath.Join(repo, "kernel", "nbconvert"),
		"--output-dir", absDir, src)
	cmd.Dir = filepath.Dir(nb) // relative links and images resolve as in the notebook's folder
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("kernel export: nbconvert failed on %s (%v):\n%s", nb, err, tail(string(out), 15))
	}
	return nil
}
