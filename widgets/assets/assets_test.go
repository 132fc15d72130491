package assets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEChartsPathFromEnv(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mykernel")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, EChartsFile)
	if err := os.WriteFile(p, []byte(strings.Repeat("x", 2000)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvVar, p)
	got, err := EChartsPath()
	if err != nil || got != p {
		t.Fatalf("EChartsPath() = %q, %v; want %q", got, err, p)
	}
	if k := KernelName(); k != "mykernel" {
		t.Errorf("KernelName() = %q, want mykernel", k)
	}
	if u := RelativeURL(); u != "kernelspecs/mykernel/echarts.min.js" {
		t.Errorf("RelativeURL() = %q", u)
	}
	if b, err := EChartsJS(); err != nil || len(b) != 2000 {
		t.Errorf("EChartsJS() = %d bytes, %v", len(b), err)
	}
}

func TestEChartsPathErrors(t *testing.T) {
	t.Setenv(EnvVar, filepath.Join(t.TempDir(), "missing.js"))
	_, err := EChartsPath()
	if err == nil || !strings.Contains(err.Error(), "assets:") || !strings.Contains(err.Error(), EnvVar) {
		t.Fatalf("missing file: err = %v", err)
	}
	small := filepath.Join(t.TempDir(), EChartsFile)
	if err := os.WriteFile(small, []byte("corrupt"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvVar, small)
	if _, err := EChartsJS(); err == nil || !strings.Contains(err.Error(), "not an ECharts bundle") {
		t.Fatalf("corrupt file: err = %v", err)
	}
}

func TestDefaultKernel(t *testing.T) {
	t.Setenv(EnvVar, "")
	if k := KernelName(); k != DefaultKernel {
		t.Errorf("KernelName() = %q, want %q", k, DefaultKernel)
	}
}

// TestLockPinsVersion checks that package.json, the lock file and EChartsVersion agree, so `npm ci`
// installs the version the Go side documents.
func TestLockPinsVersion(t *testing.T) {
	for _, f := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `"echarts": "`+EChartsVersion+`"`) {
			t.Errorf("%s does not pin echarts %s", f, EChartsVersion)
		}
	}
}
