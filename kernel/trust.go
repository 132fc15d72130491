package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
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
try:
    notary = NotebookNotary()
    db = str(notary.db_file)
except Exception as e:
    print(json.dumps({"db": "", "error": "%s: %s" % (type(e).__name__, " ".join(str(e).split())[:160]), "results": {}}))
    sys.exit(0)
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
        out[p] = "error: %s: %s" % (type(e).__name__, " ".join(str(e).split())[:160])
print(json.dumps({"db": db, "results": out}))
`

// trustReport is what trustProbe prints: the signature database and, per notebook, "trusted",
// "untrusted" or "error: ..."; Error when the database could not be opened at all.
type trustReport struct {
	DB      string            `json:"db"`
	Error   string            `json:"error"`
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
	if r.Error != "" {
		return nil, fmt.Errorf("Jupyter's notebook signature database cannot be opened (%s); set JUPYTER_DATA_DIR to a writable folder, or make the Jupyter data dir (`jupyter --data-dir`) one", r.Error)
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

// trustFix is the one-line fix for the notebooks of r that are not trusted: the command that signs
// them as File > Trust Notebook does (python is the interpreter whose nbformat signed them), preceded
// by restoring any that nbformat cannot read, or by making the signature database writable when
// that is what failed.
func (r *trustReport) trustFix(python string) string {
	var sign, broken []string
	dbFailed := false
	for p, s := range r.Results {
		if s == "trusted" {
			continue
		}
		sign = append(sign, shellQuote(displayPath(p)))
		if strings.HasPrefix(s, "error: ") {
			if l := strings.ToLower(s); strings.Contains(l, "sqlite") || strings.Contains(l, "database") || (r.DB != "" && strings.Contains(s, filepath.Dir(r.DB))) {
				dbFailed = true
			} else {
				broken = append(broken, shellQuote(displayPath(p)))
			}
		}
	}
	if len(sign) == 0 {
		return ""
	}
	sort.Strings(sign)
	sort.Strings(broken)
	cmd := python + " -m nbformat.sign " + strings.Join(sign, " ")
	switch {
	case dbFailed:
		return "make " + filepath.Dir(r.DB) + " writable (or set JUPYTER_DATA_DIR to a writable folder), then " + cmd
	case len(broken) > 0:
		return "restore what nbformat cannot read (git checkout -- " + strings.Join(broken, " ") + "), then " + cmd
	}
	return cmd
}

// trustWarning is install's one-line warning for notebooks that could not be signed, naming the fix.
func (r *trustReport) trustWarning(python string) string {
	return "could not trust " + strings.Join(r.untrusted(), ", ") + ", so their charts open as static images; fix: " + r.trustFix(python)
}

// displayPath is p relative to the working directory when it lies inside it (as a user would type
// it there), else p.
func displayPath(p string) string {
	cwd, err := os.Getwd()
	if err != nil {
		return p
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(cwd, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return rel
	}
	return p
}

// shellQuote quotes s for a POSIX shell when it holds anything but safe path characters.
func shellQuote(s string) string {
	safe := true
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./+,:@%=", c)) {
			safe = false
			break
		}
	}
	if safe && s != "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
