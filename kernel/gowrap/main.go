// Command gowrap is the `go` command the MixFlow kernel puts first on GoNB's PATH. It runs the real
// go command ($MIXFLOW_GO) for everything, with two additions that keep notebook cells offline,
// pinned and fast:
//
//   - After `go mod init` or `go work use` in a directory that has a go.work file (GoNB's per-kernel
//     module, joined to the repository by -go_work), it copies the requirements of every module the
//     workspace uses into the cell module's go.mod. A cell that imports GoMLX, GoNB's gonbui or any
//     other dependency of the repository then builds against exactly the versions the repository
//     pins, with no network. Without this, GoNB's `go get` asks the module proxy for the latest
//     version of each such import: offline that fails, online it can silently change versions.
//   - `go get` without package arguments (GoNB runs it before every cell) is skipped when every
//     import of the cell's Go files is in the standard library, in a workspace module or in a
//     required module: it would only re-check what is already resolved (about 0.4 s per cell). When
//     some import is not covered, the real `go get` runs as usual.
//
// `go run ./kernel install` builds it into the kernelspec's bin directory.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// RealGoVar names the environment variable holding the real go command's path.
const RealGoVar = "MIXFLOW_GO"

func main() {
	realGo := os.Getenv(RealGoVar)
	if realGo == "" {
		fmt.Fprintf(os.Stderr, "mixflow go wrapper: %s is not set; re-run `go run ./kernel install`\n", RealGoVar)
		os.Exit(2)
	}
	args := os.Args[1:]
	switch {
	case isBareGet(args) && importsResolved(realGo):
		return
	case len(args) >= 2 && (args[0] == "mod" && args[1] == "init" || args[0] == "work" && args[1] == "use"):
		code := runReal(realGo, args)
		if code == 0 {
			if err := pinWorkspaceRequirements(realGo); err != nil {
				fmt.Fprintf(os.Stderr, "mixflow go wrapper: pinning the workspace's requirements in go.mod: %v\n", err)
				code = 1
			}
		}
		os.Exit(code)
	}
	// Everything else: become the real go command.
	if err := syscall.Exec(realGo, append([]string{realGo}, args...), os.Environ()); err != nil {
		fmt.Fprintf(os.Stderr, "mixflow go wrapper: running %s: %v\n", realGo, err)
		os.Exit(2)
	}
}

// isBareGet reports whether args is `get` with flags only (no packages): what GoNB runs per cell.
func isBareGet(args []string) bool {
	if len(args) == 0 || args[0] != "get" {
		return false
	}
	for _, a := range args[1:] {
		if !strings.HasPrefix(a, "-") {
			return false
		}
	}
	return true
}

func runReal(realGo string, args []string) int {
	cmd := exec.Command(realGo, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		fmt.Fprintf(os.Stderr, "mixflow go wrapper: running %s: %v\n", realGo, err)
		return 2
	}
	return 0
}

// goJSON runs the real go command and decodes its JSON output.
func goJSON(realGo string, v any, args ...string) error {
	out, err := exec.Command(realGo, args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("go %s: %s", strings.Join(args, " "), strings.TrimSpace(string(ee.Stderr)))
		}
		return err
	}
	return json.Unmarshal(out, v)
}

type modFile struct {
	Module struct {
		Path string
	}
	Require []struct {
		Path    string
		Version string
	}
}

type workFile struct {
	Use []struct {
		DiskPath string
	}
}

// workspaceModules returns the go.mod files of the modules ./go.work uses, other than ".".
func workspaceModules(realGo string) ([]string, error) {
	if _, err := os.Stat("go.work"); err != nil {
		return nil, nil
	}
	var work workFile
	if err := goJSON(realGo, &work, "work", "edit", "-json"); err != nil {
		return nil, err
	}
	var mods []string
	for _, u := range work.Use {
		if filepath.Clean(u.DiskPath) == "." {
			continue
		}
		mods = append(mods, filepath.Join(u.DiskPath, "go.mod"))
	}
	return mods, nil
}

// pinWorkspaceRequirements adds to ./go.mod every requirement of the workspace modules it lacks.
func pinWorkspaceRequirements(realGo string) error {
	if _, err := os.Stat("go.mod"); err != nil {
		return nil
	}
	mods, err := workspaceModules(realGo)
	if err != nil || len(mods) == 0 {
		return err
	}
	var own modFile
	if err := goJSON(realGo, &own, "mod", "edit", "-json"); err != nil {
		return err
	}
	have := map[string]bool{own.Module.Path: true}
	for _, r := range own.Require {
		have[r.Path] = true
	}
	var edits []string
	for _, gomod := range mods {
		var m modFile
		if err := goJSON(realGo, &m, "mod", "edit", "-json", gomod); err != nil {
			return err
		}
		have[m.Module.Path] = true // a workspace module needs no requirement
		for _, r := range m.Require {
			if !have[r.Path] {
				have[r.Path] = true
				edits = append(edits, "-require="+r.Path+"@"+r.Version)
			}
		}
	}
	if len(edits) == 0 {
		return nil
	}
	if code := runReal(realGo, append([]string{"mod", "edit"}, edits...)); code != 0 {
		return fmt.Errorf("go mod edit exited with status %d", code)
	}
	return nil
}

// importsResolved reports whether every import of the Go files in the current directory is provided
// by the standard library, a workspace module or a module ./go.mod requires. Any doubt returns false,
// so the real `go get` runs.
func importsResolved(realGo string) bool {
	if _, err := os.Stat("go.work"); err != nil {
		return false
	}
	var own modFile
	if err := goJSON(realGo, &own, "mod", "edit", "-json"); err != nil {
		return false
	}
	modules := []string{own.Module.Path}
	for _, r := range own.Require {
		modules = append(modules, r.Path)
	}
	wsMods, err := workspaceModules(realGo)
	if err != nil {
		return false
	}
	for _, gomod := range wsMods {
		var m modFile
		if err := goJSON(realGo, &m, "mod", "edit", "-json", gomod); err != nil {
			return false
		}
		modules = append(modules, m.Module.Path)
	}
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, f := range files {
		parsed, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			return false
		}
		for _, imp := range parsed.Imports {
			if !provided(strings.Trim(imp.Path.Value, `"`), modules) {
				return false
			}
		}
	}
	return true
}

// provided reports whether the import path is in the standard library or inside one of modules.
func provided(path string, modules []string) bool {
	first, _, _ := strings.Cut(path, "/")
	if path == "C" || !strings.Contains(first, ".") {
		return true
	}
	for _, m := range modules {
		if path == m || strings.HasPrefix(path, m+"/") {
			return true
		}
	}
	return false
}
