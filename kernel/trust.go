package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// trustProbe signs notebooks ("sign") or checks their signatures ("check") with Jupyter's own
// NotebookNotary, reading each notebook the way Jupyter Notebook and JupyterLab's servers read it
// (nbformat.read, as_version=4), so a signature written here is the one they look up. Signatures
// go to nbsignatures.db in the user's Jupyter data dir ($JUPYTER_DATA_DIR honoured).
const trustProbe = `
import json, sys
import nbformat
from nbformat.sign import NotebookNotary
mode, paths = sys.argv[1], sys.argv[2:]
notary = NotebookNotary()
out = {}
for p in paths:
    try:
        nb = nbformat.read(p, as_version=4)
        if mode == "sign":
            notary.sign(nb)
            out[p] = "trusted"
        else:
            out[p] = "trusted" if notary.check_signature(nb) else "untrusted"
    except Exception as e:
        out[p] = "error: %s: %s" % (type(e).__name__, e)
print(json.dumps({"db": str(notary.db_file), "results": out}))
`

// trustReport is what trustProbe prints: the signature database and, per notebook, "trusted",
// "untrusted" or "error: ...".
type trustReport struct {
	DB      string            `json:"db"`
	Results map[string]string `json:"results"`
}

// bundledNotebooks lists the repository's notebooks/*.ipynb (executed copies excluded).
func bundledNotebooks(repo string) []string {
	all, _ := filepath.Glob(filepath.Join(repo, "notebooks", "*.ipynb"))
	var nbs []string
	for _, p := range all {
		if !strings.HasSuffix(p, ".executed.ipynb") {
			nbs = append(nbs, p)
		}
	}
	sort.Strings(nbs)
	return nbs
}

// notebookTrust signs (mode "sign") or checks (mode "check") the notebooks with python's nbformat.
func notebookTrust(ctx context.Context, python, mode string, notebooks []string) (*trustReport, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, append([]string{"-c", trustProbe, mode}, notebooks...)...).Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
			msg = lastLine(string(ee.Stderr))
		}
		return nil, fmt.Errorf("%s cannot sign notebooks with nbformat (%s); install Jupyter (scripts/setup.sh) or set MIXFLOW_PYTHON", python, msg)
	}
	var r trustReport
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, fmt.Errorf("unexpected output from nbformat's notary: %q", tail(string(out), 200))
	}
	return &r, nil
}

// untrusted returns the notebooks of r that are not trusted, with their state, by base name.
func (r *trustReport) untrusted() []string {
	var bad []string
	for p, s := range r.Results {
		if s != "trusted" {
			bad = append(bad, filepath.Base(p)+" ("+s+")")
		}
	}
	sort.Strings(bad)
	return bad
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
