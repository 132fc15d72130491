// Package assets locates the front-end files the widgets need at view time: the ECharts library.
//
// ECharts is fetched from npm at setup time (package.json and package-lock.json in this directory pin
// the exact version; `npm ci --prefix widgets/assets` installs it into node_modules, which is never
// committed). `go run ./kernel install` copies echarts.min.js into the installed kernelspec directory and
// sets MIXFLOW_ECHARTS_JS to that copy in the kernel's environment. Jupyter serves every file of a
// kernelspec directory at <base_url>kernelspecs/<kernel name>/<file> (classic Notebook's and
// jupyter_server's KernelSpecResourceHandler), so a chart in the notebook page loads the library from the
// Jupyter server itself: no CDN, works offline and on air-gapped clusters.
//
// Outside a notebook (standalone HTML files written by chart.Figure.SaveHTML) the library is inlined from
// the local file found by EChartsPath.
package assets

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
)

// EChartsVersion is the ECharts release pinned in package.json / package-lock.json.
const EChartsVersion = "5.6.0"

// EChartsFile is the file name of the minified ECharts bundle, in node_modules and in the kernelspec.
const EChartsFile = "echarts.min.js"

// EnvVar names the environment variable that `kernel install` sets to the absolute path of the
// echarts.min.js copy inside the installed kernelspec directory.
const EnvVar = "MIXFLOW_ECHARTS_JS"

// DefaultKernel is the kernelspec name used when EnvVar is not set.
const DefaultKernel = "mixflow"

// nodeModulesRel is where `npm ci --prefix widgets/assets` puts the bundle, relative to the repository root.
var nodeModulesRel = filepath.Join("widgets", "assets", "node_modules", "echarts", "dist", EChartsFile)

// EChartsPath returns the absolute path of a local echarts.min.js: $MIXFLOW_ECHARTS_JS when set, else
// widgets/assets/node_modules/echarts/dist/echarts.min.js in the repository (searched from the working
// directory upwards, then next to this package's source). The error says how to install it.
func EChartsPath() (string, error) {
	if p := os.Getenv(EnvVar); p != "" {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return filepath.Abs(p)
		}
		return "", fmt.Errorf("assets: %s=%q: file not found; re-run `go run ./kernel install` (or unset it to use widgets/assets/node_modules)", EnvVar, p)
	}
	var roots []string
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			roots = append(roots, d)
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		// This file is widgets/assets/assets.go: the repository root is two levels up.
		roots = append(roots, filepath.Dir(filepath.Dir(filepath.Dir(file))))
	}
	for _, r := range roots {
		p := filepath.Join(r, nodeModulesRel)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", errors.New("assets: echarts.min.js not found: run `npm ci --prefix widgets/assets` in the repository (or `go run ./kernel install`), or set " + EnvVar)
}

// EChartsJS returns the content of the local echarts.min.js (see EChartsPath).
func EChartsJS() ([]byte, error) {
	p, err := EChartsPath()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("assets: reading %s: %w", p, err)
	}
	if len(b) < 1000 {
		return nil, fmt.Errorf("assets: %s has %d bytes: not an ECharts bundle (re-run `npm ci --prefix widgets/assets`)", p, len(b))
	}
	return b, nil
}

// KernelName returns the kernelspec that serves echarts.min.js: the name of the directory holding
// $MIXFLOW_ECHARTS_JS (kernelspec directories are named after their kernel), else DefaultKernel.
func KernelName() string {
	if p := os.Getenv(EnvVar); p != "" {
		if name := filepath.Base(filepath.Dir(p)); name != "." && name != string(filepath.Separator) {
			return name
		}
	}
	return DefaultKernel
}

// RelativeURL returns the URL path of echarts.min.js relative to the Jupyter server's base URL,
// e.g. "kernelspecs/mixflow/echarts.min.js".
func RelativeURL() string {
	return path.Join("kernelspecs", KernelName(), EChartsFile)
}
