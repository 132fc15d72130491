package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// echartsFile is the asset's name inside the kernelspec directory. Jupyter serves kernelspec files at
// <base_url>kernelspecs/<name>/<file> (classic Notebook, jupyter_server and JupyterLab alike).
const echartsFile = "echarts.min.js"

// npmTimeout bounds `npm ci`, which can retry for minutes without network.
const npmTimeout = 5 * time.Minute

// installECharts fetches the ECharts build pinned by widgets/assets/package-lock.json (npm ci) and
// copies echarts.min.js into the staging kernelspec. It returns the file's name inside the kernelspec,
// or a one-line warning: charts then fall back to their static images, so this never fails an install.
func installECharts(ctx context.Context, o installOptions, staging string) (string, string) {
	assets := filepath.Join(o.repo, "widgets", "assets")
	if _, err := os.Stat(filepath.Join(assets, "package.json")); err != nil {
		return "", "" // this checkout has no chart front-end to install
	}
	src := filepath.Join(assets, "node_modules", "echarts", "dist", echartsFile)
	const fallback = "charts fall back to static images"
	if o.npm && !echartsUpToDate(assets) {
		npm, err := exec.LookPath("npm")
		if err != nil {
			return "", "npm is not installed, so the ECharts asset was not fetched; " + fallback + " (fix: apt-get install npm, then re-run `go run ./kernel install`)"
		}
		ctx, cancel := context.WithTimeout(ctx, npmTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--prefix", assets, "--no-audit", "--no-fund", "--loglevel=error")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Sprintf("`npm ci --prefix widgets/assets` failed (%v: %s); %s (fix: check access to the npm registry, then re-run `go run ./kernel install`)",
				err, firstLine(tail(string(out), 3)), fallback)
		}
	}
	if _, err := os.Stat(src); err != nil {
		return "", "widgets/assets/node_modules/echarts/dist/" + echartsFile + " is missing; " + fallback + " (fix: re-run `go run ./kernel install` with npm available)"
	}
	if err := copyFile(filepath.Join(staging, echartsFile), src, 0o644); err != nil {
		return "", fmt.Sprintf("copying %s into the kernelspec: %v; %s", src, err, fallback)
	}
	return echartsFile, ""
}

// echartsUpToDate reports whether node_modules already holds the echarts version package-lock.json pins,
// so a re-install does not need npm (or the network).
func echartsUpToDate(assets string) bool {
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	var installed struct {
		Version string `json:"version"`
	}
	if readJSON(filepath.Join(assets, "package-lock.json"), &lock) != nil ||
		readJSON(filepath.Join(assets, "node_modules", "echarts", "package.json"), &installed) != nil {
		return false
	}
	want := lock.Packages["node_modules/echarts"].Version
	if _, err := os.Stat(filepath.Join(assets, "node_modules", "echarts", "dist", echartsFile)); err != nil {
		return false
	}
	return want != "" && want == installed.Version
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// copyFile copies src to dst with the given permissions.
func copyFile(dst, src string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
