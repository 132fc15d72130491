package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mixflow/mixflow/kernel/notebook"
)

// The tests install the kernel into temporary Jupyter data dirs (never the user's) and execute the
// notebooks in testdata/ through Debian's Jupyter. Tests that need Jupyter skip, saying so, when
// /usr/bin/python3 has no nbclient; scripts/setup.sh installs it.

var (
	repoRoot string
	shared   struct {
		once    sync.Once
		dataDir string
		res     *installResult
		err     error
	}
	cleanups []func()
)

func TestMain(m *testing.M) {
	wd, _ := os.Getwd()
	var err error
	if repoRoot, err = findRepo(wd); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	for _, c := range cleanups {
		c()
	}
	os.Exit(code)
}

// sharedInstall installs the kernel once (no gopls, no pre-warm: fast) into a temporary data dir
// that the exec and doctor tests use, and points JUPYTER_DATA_DIR at it for the calling test.
func sharedInstall(t *testing.T) (string, *installResult) {
	t.Helper()
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "mixflow-kernel-test-")
		if err != nil {
			shared.err = err
			return
		}
		cleanups = append(cleanups, func() { _ = os.RemoveAll(dir) })
		shared.dataDir = filepath.Join(dir, "jupyter")
		shared.res, shared.err = runInstall(context.Background(), testInstallOptions(shared.dataDir, &bytes.Buffer{}))
	})
	if shared.err != nil {
		t.Fatalf("installing the kernel: %v", shared.err)
	}
	t.Setenv("JUPYTER_DATA_DIR", shared.dataDir)
	return shared.dataDir, shared.res
}

func testInstallOptions(dataDir string, out *bytes.Buffer) installOptions {
	return installOptions{repo: repoRoot, dataDir: dataDir, name: defaultKernelName, displayName: defaultDisplayName,
		gopls: false, warm: false, npm: false, xla: "no", out: out}
}

// needJupyter skips the test when Debian's Jupyter (nbclient) is not installed.
func needJupyter(t *testing.T) {
	t.Helper()
	if err := exec.Command(defaultPython(), "-c", "import nbclient, nbformat, jupyter_client").Run(); err != nil {
		t.Skipf("skipping: %s cannot import nbclient (%v); run scripts/setup.sh to install Jupyter", defaultPython(), err)
	}
}

// runCLI runs the kernel command line in-process and returns its exit status and outputs. A failed
// notebook keeps its runner's work directory for the user to read (the FAIL line names its kernel log);
// in a test those directories are removed when the test ends, so that they do not pile up in $TMPDIR.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	for _, m := range keptWorkRE.FindAllStringSubmatch(stdout.String(), -1) {
		t.Cleanup(func() { _ = os.RemoveAll(filepath.Dir(m[1])) })
	}
	return code, stdout.String(), stderr.String()
}

// keptWorkRE matches the kernel log that a FAIL line of kernel exec names inside its kept work directory.
var keptWorkRE = regexp.MustCompile(`kernel log: (\S*/mixflow-exec-[^/\s]+/kernel\.log)`)

func readSpec(t *testing.T, dir string) kernelSpec {
	t.Helper()
	var spec kernelSpec
	if err := readJSON(filepath.Join(dir, "kernel.json"), &spec); err != nil {
		t.Fatal(err)
	}
	return spec
}

// leftovers lists staging or old directories an install left next to kernels/.
func leftovers(t *testing.T, dataDir string) []string {
	t.Helper()
	var found []string
	for _, p := range []string{".mixflow-install-*", ".mixflow-old-*"} {
		m, _ := filepath.Glob(filepath.Join(dataDir, p))
		found = append(found, m...)
	}
	return found
}

func TestInstallWritesACompleteKernelspec(t *testing.T) {
	dataDir, res := sharedInstall(t)
	specDir := filepath.Join(dataDir, "kernels", "mixflow")
	if res.specDir != specDir {
		t.Errorf("specDir = %s, want %s", res.specDir, specDir)
	}
	spec := readSpec(t, specDir)
	if spec.DisplayName != "MixFlow (Go)" || spec.Language != "go" || spec.InterruptMode != "message" {
		t.Errorf("kernel.json header = %q %q %q", spec.DisplayName, spec.Language, spec.InterruptMode)
	}
	wantArgv := []string{filepath.Join(specDir, "kernel.sh"), filepath.Join(specDir, "bin", "kernelwrap"), filepath.Join(specDir, "bin", "gonb"),
		"--kernel", "{connection_file}", "--go_work=" + repoRoot, "--raw_error"}
	if !reflect.DeepEqual(spec.Argv, wantArgv) {
		t.Errorf("argv = %q\nwant   %q", spec.Argv, wantArgv)
	}
	for k, want := range map[string]string{"GOTOOLCHAIN": "go1.27.3", "GOEXPERIMENT": "simd", "GOMLX_NO_AUTO_INSTALL": "1", "MIXFLOW_REPO": repoRoot} {
		if spec.Env[k] != want {
			t.Errorf("env %s = %q, want %q", k, spec.Env[k], want)
		}
	}
	if !strings.Contains(spec.Env["GOFLAGS"], "-tags=noxla") {
		t.Errorf("GOFLAGS = %q: with --xla no cells must build with -tags=noxla", spec.Env["GOFLAGS"])
	}
	if !strings.HasPrefix(spec.Env["PATH"], filepath.Join(specDir, "bin")+":") || !strings.HasSuffix(spec.Env["PATH"], ":${PATH}") {
		t.Errorf("PATH = %q: want the kernel's bin first and ${PATH} last", spec.Env["PATH"])
	}
	for _, f := range []string{"kernel.sh", "bin/kernelwrap", "bin/gonb", "bin/goimports", "bin/go"} {
		fi, err := os.Stat(filepath.Join(specDir, f))
		if err != nil || fi.Mode()&0o111 == 0 {
			t.Errorf("%s missing or not executable: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(specDir, "bin", "gopls")); err == nil {
		t.Error("gopls was built although gopls=false")
	}
	if fi, err := os.Stat(specDir); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("kernelspec dir mode = %v (%v), want 0755 so Jupyter running as another user can read it", fi.Mode().Perm(), err)
	}
	if l := leftovers(t, dataDir); len(l) > 0 {
		t.Errorf("install left %v behind", l)
	}
	// GoNB reports its version: the binary really is GoNB v0.11.5.
	out, err := exec.Command(filepath.Join(specDir, "bin", "gonb"), "-V").CombinedOutput()
	if err != nil || !strings.Contains(string(out), strings.TrimPrefix(gonbVersion, "v")) {
		t.Errorf("gonb -V = %q, %v; want version %s", out, err, gonbVersion)
	}
}

func TestKernelProcessEnv(t *testing.T) {
	spec := kernelSpec{Env: map[string]string{"PATH": "/k/bin:${PATH}", "A": "$HOME/x", "B": "${UNSET_VAR}"}}
	base := []string{"PATH=/usr/bin", "HOME=/home/u"}
	env := kernelProcessEnv(spec, base)
	want := map[string]string{"PATH": "/k/bin:/usr/bin", "A": "/home/u/x", "B": "${UNSET_VAR}", "MIXFLOW_BACKEND": "auto"}
	for k, v := range want {
		if got, _ := lookupEnv(env, k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	// A backend chosen where Jupyter starts wins over the default, as in kernel.sh.
	env = kernelProcessEnv(spec, append(base, "MIXFLOW_BACKEND=go"))
	if got, _ := lookupEnv(env, "MIXFLOW_BACKEND"); got != "go" {
		t.Errorf("MIXFLOW_BACKEND = %q, want the caller's go", got)
	}
}

func TestLauncherDefaultsTheBackend(t *testing.T) {
	script := filepath.Join(t.TempDir(), "kernel.sh")
	if err := os.WriteFile(script, []byte(launcher), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ env, want string }{{"", "auto"}, {"MIXFLOW_BACKEND=go", "go"}} {
		cmd := exec.Command(script, "/bin/sh", "-c", `printf %s "$MIXFLOW_BACKEND"`)
		cmd.Env = []string{"PATH=/usr/bin:/bin"}
		if tc.env != "" {
			cmd.Env = append(cmd.Env, tc.env)
		}
		out, err := cmd.Output()
		if err != nil || string(out) != tc.want {
			t.Errorf("launcher with %q: MIXFLOW_BACKEND=%q (%v), want %q", tc.env, out, err, tc.want)
		}
	}
}

// TestInstallIsAtomicAndIdempotent interrupts installs at each stage and re-runs them.
func TestInstallIsAtomicAndIdempotent(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "jupyter")
	specDir := filepath.Join(dataDir, "kernels", "mixflow")
	var out bytes.Buffer

	// 1. Interrupted first install: nothing is left that Jupyter could pick up.
	o := testInstallOptions(dataDir, &out)
	o.failAfter = "tools"
	if _, err := runInstall(context.Background(), o); err == nil {
		t.Fatal("install with failAfter=tools succeeded")
	}
	if _, err := os.Stat(specDir); !os.IsNotExist(err) {
		t.Errorf("interrupted first install left %s (%v)", specDir, err)
	}
	if l := leftovers(t, dataDir); len(l) > 0 {
		t.Errorf("interrupted install left %v", l)
	}

	// 2. A real install, then a crash that left staging and old directories behind (SIGKILL).
	o.failAfter = ""
	if _, err := runInstall(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	first := readSpec(t, specDir)
	stale := filepath.Join(dataDir, ".mixflow-install-123")
	if err := os.MkdirAll(filepath.Join(stale, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stale, "kernel.json"), []byte(`{"argv": ["/nonexistent"], "display_name": "half", "language": "go"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dataDir, ".mixflow-old-456"), 0o755); err != nil {
		t.Fatal(err)
	}
	if specs := jupyterKernelSpecs(t, dataDir); specs != nil && !reflect.DeepEqual(specs, []string{"mixflow"}) {
		// (jupyterKernelSpecs leaves out the python3 kernel jupyter_client always adds.)
		t.Errorf("Jupyter lists kernels %v in %s; a staging dir must never be visible as a kernel", specs, dataDir)
	}

	// 3. Interrupted re-install: the previous kernelspec stays as it was.
	o.failAfter = "spec"
	if _, err := runInstall(context.Background(), o); err == nil {
		t.Fatal("install with failAfter=spec succeeded")
	}
	if got := readSpec(t, specDir); !reflect.DeepEqual(got, first) {
		t.Errorf("interrupted re-install changed kernel.json:\n%+v\nwas\n%+v", got, first)
	}

	// 4. Re-install: same kernelspec (but the time stamp), stale directories gone; with Jupyter
	// there, the bundled notebooks are signed into the user's data dir (here dataDir).
	o.failAfter = ""
	haveJupyter := exec.Command(defaultPython(), "-c", "import nbformat").Run() == nil
	if haveJupyter {
		t.Setenv("JUPYTER_DATA_DIR", dataDir)
		o.trust, o.python = true, defaultPython()
	}
	res, err := runInstall(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if nbs := bundledNotebooks(repoRoot); haveJupyter && res.trusted != len(nbs) {
		t.Errorf("install trusted %d notebooks, want all %d; output:\n%s", res.trusted, len(nbs), out.String())
	} else if haveJupyter {
		r, err := notebookTrust(context.Background(), defaultPython(), "check", nbs)
		if err != nil || len(r.untrusted()) > 0 || r.DB != filepath.Join(dataDir, "nbsignatures.db") {
			t.Errorf("after install: %v, %+v; want every bundled notebook trusted in %s", err, r, dataDir)
		}
	}
	second := readSpec(t, specDir)
	first.Metadata.MixFlow.Installed, second.Metadata.MixFlow.Installed = "", ""
	if !reflect.DeepEqual(first, second) {
		t.Errorf("re-install wrote a different kernel.json:\n%+v\nwas\n%+v", second, first)
	}
	if l := leftovers(t, dataDir); len(l) > 0 {
		t.Errorf("re-install left %v", l)
	}
	entries, _ := os.ReadDir(filepath.Join(dataDir, "kernels"))
	if len(entries) != 1 || entries[0].Name() != "mixflow" {
		t.Errorf("kernels/ holds %v, want only mixflow", entries)
	}
}

// jupyterKernelSpecs lists the kernels Jupyter finds in dataDir, or nil without Jupyter.
func jupyterKernelSpecs(t *testing.T, dataDir string) []string {
	t.Helper()
	cmd := exec.Command(defaultPython(), "-c",
		"import json; from jupyter_client.kernelspec import KernelSpecManager as K; print(json.dumps(sorted(K(kernel_dirs=[__import__('sys').argv[1]]).find_kernel_specs())))",
		filepath.Join(dataDir, "kernels"))
	out, err := cmd.Output()
	if err != nil {
		return nil
	}
	var names []string
	if err := json.Unmarshal(out, &names); err != nil {
		t.Fatalf("kernel list %q: %v", out, err)
	}
	return slices.DeleteFunc(names, func(n string) bool { return n == "python3" })
}

func TestInstallRefusesAnUnwritableDataDir(t *testing.T) {
	// A regular file where a directory should be: fails for root too.
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	dirs := []string{filepath.Join(blocker, "jupyter")}
	if os.Geteuid() != 0 { // permissions do not stop root
		ro := filepath.Join(t.TempDir(), "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, filepath.Join(ro, "jupyter"))
	}
	for _, d := range dirs {
		_, err := runInstall(context.Background(), testInstallOptions(d, &bytes.Buffer{}))
		if err == nil {
			t.Fatalf("install into %s succeeded", d)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "kernel install: cannot write to the Jupyter data dir "+d) || !strings.Contains(msg, "--prefix") || strings.Contains(msg, "\n") {
			t.Errorf("error for %s = %q: want one line naming the dir and the fix", d, msg)
		}
	}
}

func TestInstallRejectsBadOptions(t *testing.T) {
	o := testInstallOptions(t.TempDir(), &bytes.Buffer{})
	o.name = "my kernel!"
	if _, err := runInstall(context.Background(), o); err == nil || !strings.Contains(err.Error(), "not a valid kernelspec name") {
		t.Errorf("bad name: %v", err)
	}
	o = testInstallOptions(t.TempDir(), &bytes.Buffer{})
	o.xla = "maybe"
	if _, err := runInstall(context.Background(), o); err == nil || !strings.Contains(err.Error(), `--xla "maybe"`) {
		t.Errorf("bad --xla: %v", err)
	}
	if code, _, stderr := runCLI(t, "install", "extra"); code != 2 || !strings.Contains(stderr, `unexpected argument "extra"`) {
		t.Errorf("install extra: code %d, stderr %q", code, stderr)
	}
}

func TestExecPassesAGoodNotebook(t *testing.T) {
	needJupyter(t)
	sharedInstall(t)
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "exec", "--quick", "--timeout", "5m", "--out", out, "testdata/good.ipynb", "testdata/raises_tag.ipynb")
	if code != 0 {
		t.Fatalf("exec exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "PASS testdata/good.ipynb") || !strings.Contains(stdout, "PASS testdata/raises_tag.ipynb") {
		t.Errorf("stdout lacks the PASS lines:\n%s", stdout)
	}
	data, err := os.ReadFile(filepath.Join(out, "good.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pure-Go CPU backend", "quick: true", "hello from the mixflow kernel", "second cell ok"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("executed good.ipynb lacks %q", want)
		}
	}
	// GoNB's kernel_info leaves the lexer and editor mode empty; exec names Go (nbrun.py), so an
	// executed notebook exports with Go highlighting.
	var nbk struct {
		Metadata struct {
			LanguageInfo map[string]any `json:"language_info"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(data, &nbk); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"pygments_lexer", "codemirror_mode"} {
		if v := nbk.Metadata.LanguageInfo[key]; v != "go" {
			t.Errorf("executed good.ipynb: language_info.%s = %q, want \"go\"", key, v)
		}
	}
}

func TestExecFailsOnBrokenCells(t *testing.T) {
	needJupyter(t)
	sharedInstall(t)
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "exec", "--timeout", "5m", "--out", out,
		"testdata/panic.ipynb", "testdata/exit3.ipynb", "testdata/compile_error.ipynb")
	if code != 1 {
		t.Fatalf("exec exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"FAIL testdata/panic.ipynb: cell 3 (In [2]): panic: runtime error: index out of range [5] with length 0",
		"FAIL testdata/exit3.ipynb: cell 1 (In [1]): exit status 3: giving up: bad input",
		"FAIL testdata/compile_error.ipynb: cell 1 (In [1]): Cell[1]: Line 2: declared and not used: x",
		"kernel exec: 3 notebooks, 0 passed, 3 failed",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	// Execution stopped at the panic: the cell after it never ran.
	nb, err := notebook.Read(filepath.Join(out, "panic.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	if last := nb.Cells[3]; last.ExecutionCount != 0 || len(last.Outputs) != 0 {
		t.Errorf("the cell after the panic was executed: %+v", last)
	}
	if f := nb.Failures(); len(f) != 1 || f[0].Cell != 3 {
		t.Errorf("executed panic.ipynb failures = %v, want cell 3 only", f)
	}
}

// TestExecReportsGammaOnce: γ = 1.3 entered in a notebook cell stops it with objective.Spec's one error
// text, named once (no stacked package prefixes).
func TestExecReportsGammaOnce(t *testing.T) {
	needJupyter(t)
	sharedInstall(t)
	code, stdout, stderr := runCLI(t, "exec", "--timeout", "5m", "--out", t.TempDir(), "testdata/gamma.ipynb")
	want := "FAIL testdata/gamma.ipynb: cell 2 (In [1]): exit status 1: objective: gamma 1.3 outside [0, 1]"
	if code != 1 || !strings.Contains(stdout, want) {
		t.Errorf("exec exit %d, want 1 and %q\nstdout:\n%s\nstderr:\n%s", code, want, stdout, stderr)
	}
}

func TestExecTimesOut(t *testing.T) {
	needJupyter(t)
	sharedInstall(t)
	code, stdout, _ := runCLI(t, "exec", "--timeout", "3s", "--out", t.TempDir(), "testdata/sleep.ipynb")
	if code != 1 || !strings.Contains(stdout, "FAIL testdata/sleep.ipynb: cell 1") || !strings.Contains(stdout, "did not finish within 3 s") {
		t.Errorf("exit %d, stdout:\n%s", code, stdout)
	}
}

func TestExecRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	fakePython := filepath.Join(dir, "python-without-site")
	if err := os.WriteFile(fakePython, []byte("#!/bin/sh\nexec /usr/bin/python3 -S \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	emptyData := filepath.Join(dir, "empty-jupyter")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no notebook", []string{"exec"}, "kernel exec: no notebook given"},
		{"unknown path", []string{"exec", "testdata/nope.ipynb"}, "kernel exec: testdata/nope.ipynb: no such notebook"},
		{"directory", []string{"exec", "testdata"}, "kernel exec: testdata is a directory"},
		{"bad JSON", []string{"exec", "testdata/bad_json.ipynb"}, "kernel exec: testdata/bad_json.ipynb: not a valid notebook: invalid JSON at line 3 column 24"},
		{"not our kernel", []string{"exec", "testdata/python3.ipynb"}, `kernel exec: testdata/python3.ipynb uses kernel "python3", not "mixflow"`},
		{"not our kernel with --kernel", []string{"exec", "--kernel", "other", "testdata/python3.ipynb"}, `uses kernel "python3", neither "mixflow" nor --kernel other`},
		{"no kernel", []string{"exec", "testdata/nokernel.ipynb"}, "kernel exec: testdata/nokernel.ipynb declares no kernel"},
		{"out over input", []string{"exec", "--out", "testdata", "testdata/good.ipynb"}, "would overwrite testdata/good.ipynb"},
		{"inplace and out", []string{"exec", "--inplace", "--out", dir, "testdata/good.ipynb"}, "--inplace and --out exclude each other"},
		{"no python", []string{"exec", "--python", filepath.Join(dir, "nopython"), "--out", dir, "testdata/good.ipynb"}, "kernel exec: Jupyter is not installed: no Python interpreter"},
	}
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		tests = append(tests, struct {
			name string
			args []string
			want string
		}{"python without Jupyter", []string{"exec", "--python", fakePython, "--out", dir, "testdata/good.ipynb"}, "kernel exec: Jupyter is not installed for " + fakePython})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if !strings.Contains(stderr, tc.want) || len(lines) != 1 {
				t.Errorf("stderr = %q, want one line containing %q (stdout %q)", stderr, tc.want, stdout)
			}
		})
	}
	t.Run("kernel not installed", func(t *testing.T) {
		needJupyter(t)
		t.Setenv("JUPYTER_DATA_DIR", emptyData)
		t.Setenv("JUPYTER_PATH", "")
		code, _, stderr := runCLI(t, "exec", "--kernel", "mixflow-not-installed", "--out", dir, "testdata/good.ipynb")
		if code != 2 || !strings.Contains(stderr, `kernel exec: kernel "mixflow-not-installed" is not installed`) || !strings.Contains(stderr, "go run ./kernel install") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
}

func TestDoctor(t *testing.T) {
	needJupyter(t)
	sharedInstall(t)
	code, stdout, _ := runCLI(t, "doctor")
	for _, want := range []string{"ok       go toolchain", "ok       kernelspec mixflow", "-> " + repoRoot, "GoNB " + gonbVersion,
		"ok       goimports", "missing  gopls", "ok       backend: go (CPU)", "ok       jupyter (nbclient)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "MISSING") != (code != 0) {
		t.Errorf("exit %d does not match the MISSING lines:\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, "doctor", "--kernel", "mixflow-not-installed")
	if code != 1 || !strings.Contains(stdout, "MISSING  kernelspec mixflow-not-installed") || !strings.Contains(stdout, "fix: go run ./kernel install") {
		t.Errorf("doctor for a missing kernel: exit %d\n%s", code, stdout)
	}
}

func TestParseInterspersed(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	quick := fs.Bool("quick", false, "")
	timeout := fs.Duration("timeout", 0, "")
	pos, err := parseInterspersed(fs, []string{"a.ipynb", "--quick", "b.ipynb", "-timeout", "2m", "--", "--c.ipynb"})
	if err != nil {
		t.Fatal(err)
	}
	if !*quick || *timeout != 2*time.Minute || !slices.Equal(pos, []string{"a.ipynb", "b.ipynb", "--c.ipynb"}) {
		t.Errorf("quick=%v timeout=%v pos=%q", *quick, *timeout, pos)
	}
}

func TestOutputPath(t *testing.T) {
	for _, tc := range []struct {
		o    execOptions
		want string
	}{
		{execOptions{}, "nb/a.executed.ipynb"},
		{execOptions{outDir: "/tmp/x"}, "/tmp/x/a.ipynb"},
		{execOptions{inPlace: true}, "nb/a.ipynb"},
	} {
		if got, err := outputPath("nb/a.ipynb", tc.o); err != nil || got != tc.want {
			t.Errorf("outputPath(%+v) = %q, %v; want %q", tc.o, got, err, tc.want)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	if code, _, stderr := runCLI(t, "frobnicate"); code != 2 || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if code, stdout, _ := runCLI(t, "help"); code != 0 || !strings.Contains(stdout, "exec") {
		t.Errorf("help: exit %d, %q", code, stdout)
	}
}

func TestGoFlagsFor(t *testing.T) {
	for _, tc := range []struct {
		in      string
		withXLA bool
		want    string
	}{
		{"", false, "-ldflags=-w -tags=noxla"},
		{"-buildvcs=false\n", false, "-buildvcs=false -ldflags=-w -tags=noxla"},
		{"-tags=foo -trimpath", false, "-tags=foo,noxla -trimpath -ldflags=-w"},
		{"-buildvcs=false", true, "-buildvcs=false -ldflags=-w"},
		{"-ldflags=-s -tags=gpu", true, "-ldflags=-s -tags=gpu"},
	} {
		if got := goFlagsFor(tc.in, tc.withXLA); got != tc.want {
			t.Errorf("goFlagsFor(%q, %v) = %q, want %q", tc.in, tc.withXLA, got, tc.want)
		}
	}
}

func TestXLADecision(t *testing.T) {
	if on, _, err := xlaDecision("yes"); !on || err != nil {
		t.Errorf("yes: %v %v", on, err)
	}
	if on, _, err := xlaDecision("no"); on || err != nil {
		t.Errorf("no: %v %v", on, err)
	}
	t.Setenv("CUDA_VISIBLE_DEVICES", "-1") // hides any GPU: auto must leave XLA out
	if on, why, err := xlaDecision("auto"); on || err != nil || !strings.Contains(why, "CUDA_VISIBLE_DEVICES") {
		t.Errorf("auto without GPU: %v %q %v", on, why, err)
	}
}

func TestDataDirs(t *testing.T) {
	t.Setenv("JUPYTER_DATA_DIR", "")
	t.Setenv("XDG_DATA_HOME", "/xdg")
	if d, err := installDataDir(""); err != nil || d != "/xdg/jupyter" {
		t.Errorf("with XDG_DATA_HOME: %q %v", d, err)
	}
	t.Setenv("JUPYTER_DATA_DIR", "/jd")
	if d, err := installDataDir(""); err != nil || d != "/jd" {
		t.Errorf("with JUPYTER_DATA_DIR: %q %v", d, err)
	}
	if d, err := installDataDir("/usr/local"); err != nil || d != "/usr/local/share/jupyter" {
		t.Errorf("with --prefix: %q %v", d, err)
	}
	t.Setenv("JUPYTER_PATH", "/a:/b")
	if got := kernelSearchPath(); !slices.Equal(got[:3], []string{"/a/kernels", "/b/kernels", "/jd/kernels"}) {
		t.Errorf("kernelSearchPath = %q", got)
	}
}

func TestFindRepo(t *testing.T) {
	if got, err := findRepo(filepath.Join(repoRoot, "kernel", "testdata")); err != nil || got != repoRoot {
		t.Errorf("findRepo(kernel/testdata) = %q, %v", got, err)
	}
	if _, err := findRepo(t.TempDir()); err == nil || !strings.Contains(err.Error(), "is not inside the MixFlow repository") {
		t.Errorf("findRepo(temp) error = %v", err)
	}
}

func TestPruneTools(t *testing.T) {
	root := t.TempDir()
	old := time.Now().Add(-toolsMaxAge - time.Hour)
	mk := func(name string, complete bool, mtime time.Time) string {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if complete {
			f := filepath.Join(dir, "complete")
			if err := os.WriteFile(f, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(f, mtime, mtime); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chtimes(dir, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	keep := mk("keep", true, old)
	fresh := mk("fresh", true, time.Now())
	stale := mk("stale", true, old)
	partialOld := mk(".build-1", false, old)
	partialNew := mk(".build-2", false, time.Now())
	pruneTools(root, keep)
	for dir, want := range map[string]bool{keep: true, fresh: true, stale: false, partialOld: false, partialNew: true} {
		if _, err := os.Stat(dir); (err == nil) != want {
			t.Errorf("%s: exists=%v, want %v", filepath.Base(dir), err == nil, want)
		}
	}
}

func TestTrustNotebooks(t *testing.T) {
	needJupyter(t)
	t.Setenv("JUPYTER_DATA_DIR", t.TempDir())
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.ipynb"), filepath.Join(dir, "b.ipynb")
	for _, p := range []string{a, b} {
		data, err := os.ReadFile(filepath.Join(repoRoot, "notebooks", "00-quickstart.ipynb"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	r, err := notebookTrust(ctx, defaultPython(), "check", []string{a, b})
	if err != nil || len(r.untrusted()) != 2 {
		t.Fatalf("before signing: %v, %+v; want both untrusted", err, r)
	}
	if r, err = notebookTrust(ctx, defaultPython(), "sign", []string{a, b}); err != nil || len(r.untrusted()) != 0 {
		t.Fatalf("signing: %v, %+v", err, r)
	}
	if want := filepath.Join(os.Getenv("JUPYTER_DATA_DIR"), "nbsignatures.db"); r.DB != want {
		t.Errorf("signatures went to %s, want %s", r.DB, want)
	}
	// A notebook edited after signing is no longer trusted; the other one still is.
	data, _ := os.ReadFile(b)
	if err := os.WriteFile(b, bytes.Replace(data, []byte(`"cells": [`), []byte(`"cells": [{"cell_type": "markdown", "id": "x1", "metadata": {}, "source": ["edited"]},`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err = notebookTrust(ctx, defaultPython(), "check", []string{a, b})
	if err != nil || r.Results[a] != "trusted" || r.Results[b] != "untrusted" {
		t.Fatalf("after editing b: %v, %+v; want a trusted, b untrusted", err, r)
	}
	// The fix named for b is one command line, and running it trusts b.
	fix := r.trustFix(defaultPython())
	if want := defaultPython() + " -m nbformat.sign " + b; fix != want {
		t.Errorf("fix for an edited notebook: %q, want %q", fix, want)
	}
	if w := r.trustWarning(defaultPython()); strings.Contains(w, "\n") || !strings.Contains(w, "b.ipynb (untrusted)") || !strings.HasSuffix(w, "fix: "+fix) {
		t.Errorf("warning %q: want one line naming b.ipynb and ending in the fix", w)
	}
	if out, err := exec.Command("sh", "-c", fix).CombinedOutput(); err != nil {
		t.Fatalf("running the fix %q: %v\n%s", fix, err, out)
	}
	if r, err = notebookTrust(ctx, defaultPython(), "check", []string{a, b}); err != nil || len(r.untrusted()) != 0 || r.trustFix(defaultPython()) != "" {
		t.Errorf("after running the fix: %v, %+v; want both trusted and no fix", err, r)
	}
	// A file that is not a notebook is reported, not fatal.
	bad := filepath.Join(dir, "bad.ipynb")
	_ = os.WriteFile(bad, []byte("{"), 0o644)
	if r, err = notebookTrust(ctx, defaultPython(), "check", []string{bad}); err != nil || !strings.HasPrefix(r.Results[bad], "error: ") {
		t.Errorf("a broken notebook: %v, %+v; want an error entry", err, r)
	}
	if w := r.trustWarning(defaultPython()); strings.Contains(w, "\n") || !strings.Contains(w, "fix: restore what nbformat cannot read (git checkout -- "+bad+"), then "+defaultPython()+" -m nbformat.sign "+bad) {
		t.Errorf("a broken notebook's warning %q: want one line that names restoring it, then signing it", w)
	}
	// A data dir that cannot hold the signature database: one line naming JUPYTER_DATA_DIR.
	file := filepath.Join(dir, "a-file")
	_ = os.WriteFile(file, nil, 0o644)
	t.Setenv("JUPYTER_DATA_DIR", filepath.Join(file, "jupyter"))
	if _, err := notebookTrust(ctx, defaultPython(), "sign", []string{a}); err == nil || strings.Contains(err.Error(), "\n") ||
		!strings.Contains(err.Error(), "signature database cannot be opened") || !strings.Contains(err.Error(), "set JUPYTER_DATA_DIR to a writable folder") {
		t.Errorf("unusable data dir: %v; want one line naming JUPYTER_DATA_DIR", err)
	}
	if _, err := notebookTrust(ctx, "/nonexistent/python3", "check", []string{a}); err == nil || !strings.Contains(err.Error(), "MIXFLOW_PYTHON") {
		t.Errorf("missing python: %v; want a message naming MIXFLOW_PYTHON", err)
	}
}

func TestFindJupyterLab(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(jupyterLabVenvEnv, dir)
	t.Setenv("PATH", "/nonexistent")
	if _, err := findJupyterLab(context.Background()); err == nil || !strings.Contains(err.Error(), "scripts/setup.sh") {
		t.Errorf("no JupyterLab: %v; want a message naming scripts/setup.sh", err)
	}
	// doctor's line: what is wrong, and the fix on its own single line, ending in the lab command.
	wantFix := func(what string, c check, problem string) {
		t.Helper()
		if c.ok || !strings.Contains(c.detail, problem) || !strings.Contains(c.fix, "scripts/setup.sh") ||
			!strings.HasSuffix(c.fix, "go run ./kernel lab") || strings.Contains(c.detail+c.fix, "\n") || strings.Contains(c.detail, "setup.sh") {
			t.Errorf("doctor, %s: %+v; want detail %q and a one-line fix naming scripts/setup.sh, then go run ./kernel lab", what, c, problem)
		}
	}
	wantFix("no JupyterLab", jupyterLabCheck(context.Background()), "not installed")
	bin := filepath.Join(dir, "bin", "jupyter-lab")
	_ = os.MkdirAll(filepath.Dir(bin), 0o755)
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho 3.6.8\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := findJupyterLab(context.Background()); err == nil || !strings.Contains(err.Error(), "3.6.8") || !strings.Contains(err.Error(), "too old") {
		t.Errorf("JupyterLab 3: %v; want a too-old message", err)
	}
	wantFix("JupyterLab 3", jupyterLabCheck(context.Background()), "3.6.8 at "+bin+" is too old")
	_ = os.WriteFile(bin, []byte("#!/bin/sh\necho 4.6.6\n"), 0o755)
	if lab, err := findJupyterLab(context.Background()); err != nil || lab.Version != "4.6.6" || lab.Bin != bin {
		t.Errorf("JupyterLab 4.6.6: %+v, %v", lab, err)
	}
	// The ok line points at the project's one command, not a raw jupyter-lab command line.
	if c := jupyterLabCheck(context.Background()); !c.ok || c.detail != "4.6.6 at "+bin+"; open the notebooks with: go run ./kernel lab" {
		t.Errorf("doctor, JupyterLab 4.6.6: %+v", c)
	}
}

// TestQuickstartCUDAWithoutGPU: MIXFLOW_BACKEND=cuda on a machine without a GPU stops the quick-start
// notebook at its setup cell with the backend's one-line message, not a panic and a stack trace.
func TestQuickstartCUDAWithoutGPU(t *testing.T) {
	needJupyter(t)
	sharedInstall(t)
	t.Setenv("MIXFLOW_BACKEND", "cuda")
	t.Setenv("CUDA_VISIBLE_DEVICES", "") // hides any GPU this machine has
	out := t.TempDir()
	nbPath := filepath.Join(repoRoot, "notebooks", "00-quickstart.ipynb")
	code, stdout, stderr := runCLI(t, "exec", "--quick", "--timeout", "5m", "--out", out, nbPath)
	if code != 1 {
		t.Fatalf("exec exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	want := "exit status 1: backend: MIXFLOW_BACKEND=cuda but there is no GPU (CUDA_VISIBLE_DEVICES hides all GPUs): unset MIXFLOW_BACKEND or set it to go"
	if !strings.Contains(stdout, "FAIL "+nbPath+": cell 3 (In [1]): "+want) {
		t.Errorf("stdout lacks the one-line failure of the setup cell %q:\n%s", want, stdout)
	}
	nb, err := notebook.Read(filepath.Join(out, "00-quickstart.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range nb.Cells {
		if s := c.Stderr(); strings.Contains(s, "panic:") || strings.Contains(s, "goroutine ") {
			t.Errorf("cell %d printed a panic or stack trace:\n%s", c.Index+1, s)
		}
	}
}
