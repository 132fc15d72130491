// Package backend decides which GoMLX compute backend MixFlow runs on.
//
// It is the one place in the project that makes that choice. The rules are:
//
//   - MIXFLOW_BACKEND selects explicitly: "go" (pure-Go CPU backend, always available, offline),
//     "cuda" (XLA with a CUDA PJRT plugin), "xla:<plugin name or absolute .so path>", or
//     "auto" (the default).
//   - "auto" uses XLA CUDA when an NVIDIA GPU is visible (/dev/nvidia0 or $CUDA_VISIBLE_DEVICES set to
//     something other than "" or "-1") and a CUDA PJRT plugin is found on PJRT_PLUGIN_LIBRARY_PATH or
//     in go-xla's standard directories; otherwise it uses the pure-Go backend.
//   - Plugins are never downloaded: GOMLX_NO_AUTO_INSTALL is set before XLA is consulted, so an offline
//     machine cannot hang waiting for the network.
//
// A request for a GPU that is not there is an error that names what is missing and how to fix it;
// "auto" never fails because of a missing GPU.
//
// The pure-Go backend is created as "go:ops_sequential" (GoConfig) unless MIXFLOW_BACKEND gives its own
// "go:<options>": executing the graph's ops one at a time, each op still parallel inside, is faster here
// than running independent ops concurrently (measured on 2 cores: forward passes of SiT/DiT 30-47 %
// faster, training steps 10-35 % faster; see the README's speed section).
//
// Build with -tags noxla to leave XLA (and its cgo dependency) out of the binary; then only the pure-Go
// backend is available.
package backend

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // registers the pure-Go backend ("go")
)

// EnvVar is the environment variable that selects the backend.
const EnvVar = "MIXFLOW_BACKEND"

// Kind names a family of backends.
type Kind string

const (
	// Go is GoMLX's pure-Go CPU backend: always available, no cgo at run time, no network.
	Go Kind = "go"
	// XLA is GoMLX's XLA backend through a PJRT plugin (CUDA GPUs, or XLA's own CPU plugin).
	XLA Kind = "xla"
)

// Choice is the outcome of backend selection: the GoMLX configuration string and why it was chosen.
type Choice struct {
	// Kind is the backend family.
	Kind Kind
	// Config is the string given to compute.NewWithConfig, e.g. "go" or "xla:cuda".
	Config string
	// Reason says in words why this backend was chosen (for notebooks and `kernel doctor`).
	Reason string
}

// String returns the configuration and the reason, e.g. `go (no GPU visible)`.
func (c Choice) String() string { return fmt.Sprintf("%s (%s)", c.Config, c.Reason) }

// xlaAvailable is set by xla.go when the XLA backend is compiled in (not built with -tags noxla).
var xlaAvailable bool

// listPlugins returns the PJRT plugins found (name -> path). Set by xla.go; nil without XLA.
var listPlugins func() map[string]string

// XLACompiledIn reports whether this binary includes the XLA backend.
func XLACompiledIn() bool { return xlaAvailable }

// GPUVisible reports whether an NVIDIA GPU device node is visible to this process, and why not.
func GPUVisible() (bool, string) {
	if v, ok := os.LookupEnv("CUDA_VISIBLE_DEVICES"); ok && (v == "" || v == "-1") {
		return false, "CUDA_VISIBLE_DEVICES hides all GPUs"
	}
	if _, err := os.Stat("/dev/nvidia0"); err == nil {
		return true, "/dev/nvidia0 present"
	}
	if matches, _ := filepath.Glob("/dev/nvidia[0-9]*"); len(matches) > 0 {
		return true, matches[0] + " present"
	}
	return false, "no NVIDIA GPU visible (/dev/nvidia0 missing)"
}

// Plugins lists the PJRT plugins XLA can see (name -> path), or nil when XLA is not compiled in.
// It never downloads anything.
func Plugins() map[string]string {
	if listPlugins == nil {
		return nil
	}
	disableAutoInstall()
	return listPlugins()
}

// cudaPlugin returns the name of a CUDA plugin among the available ones, or "".
func cudaPlugin() string {
	var names []string
	for name := range Plugins() {
		if strings.Contains(strings.ToLower(name), "cuda") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

func disableAutoInstall() {
	if _, ok := os.LookupEnv("GOMLX_NO_AUTO_INSTALL"); !ok {
		_ = os.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	}
}

// GoConfig is the configuration of the pure-Go backend when MIXFLOW_BACKEND is auto or "go".
const GoConfig = "go:ops_sequential"

// Select decides which backend to use from MIXFLOW_BACKEND and what the machine has.
// It does not create the backend; see New.
func Select() (Choice, error) {
	return selectFor(strings.TrimSpace(os.Getenv(EnvVar)))
}

func selectFor(req string) (Choice, error) {
	disableAutoInstall()
	switch {
	case req == "" || req == "auto":
		gpu, why := GPUVisible()
		if !gpu {
			return Choice{Go, GoConfig, why + "; using the pure-Go CPU backend"}, nil
		}
		if !xlaAvailable {
			return Choice{Go, GoConfig, "GPU visible but this binary was built with -tags noxla"}, nil
		}
		p := cudaPlugin()
		if p == "" {
			return Choice{Go, GoConfig, "GPU visible but no CUDA PJRT plugin found (set PJRT_PLUGIN_LIBRARY_PATH); using CPU"}, nil
		}
		return Choice{XLA, "xla:" + p, "GPU visible and CUDA PJRT plugin " + p + " found"}, nil
	case req == "go":
		return Choice{Go, GoConfig, "requested by " + EnvVar}, nil
	case strings.HasPrefix(req, "go:"):
		return Choice{Go, req, "requested by " + EnvVar}, nil
	case req == "cuda" || req == "gpu":
		// No GPU is the likelier cause and the one a notebook user can act on: say it first.
		if gpu, why := GPUVisible(); !gpu {
			return Choice{}, fmt.Errorf("backend: %s=%s but there is no GPU (%s): unset %s or set it to go to run on the CPU (in Jupyter: a cell with %%env %s go, or restart Jupyter without it)", EnvVar, req, why, EnvVar, EnvVar)
		}
		if !xlaAvailable {
			return Choice{}, fmt.Errorf("backend: %s=%s but this binary was built without XLA (-tags noxla); rebuild without it", EnvVar, req)
		}
		p := cudaPlugin()
		if p == "" {
			return Choice{}, fmt.Errorf("backend: %s=%s but no CUDA PJRT plugin was found: set PJRT_PLUGIN_LIBRARY_PATH to the folder holding pjrt_c_api_cuda_plugin.so (or xla_cuda_plugin.so), or %s=xla:/abs/path/plugin.so", EnvVar, req, EnvVar)
		}
		return Choice{XLA, "xla:" + p, "requested by " + EnvVar}, nil
	case req == "xla" || strings.HasPrefix(req, "xla:"):
		if !xlaAvailable {
			return Choice{}, fmt.Errorf("backend: %s=%s but this binary was built without XLA (-tags noxla)", EnvVar, req)
		}
		if plugin, ok := strings.CutPrefix(req, "xla:"); ok && filepath.IsAbs(plugin) {
			if _, err := os.Stat(strings.SplitN(plugin, ",", 2)[0]); err != nil {
				return Choice{}, fmt.Errorf("backend: %s=%s: PJRT plugin file not found: %w", EnvVar, req, err)
			}
		}
		return Choice{XLA, req, "requested by " + EnvVar}, nil
	default:
		return Choice{}, fmt.Errorf("backend: unknown %s=%q: use auto, go, cuda or xla:<plugin>", EnvVar, req)
	}
}

var (
	sharedMu      sync.Mutex
	sharedBackend compute.Backend
	sharedChoice  Choice
)

// New returns the process-wide backend chosen by Select, creating it on first use.
// Every package in the project that needs a backend calls this, so a process holds one backend.
func New() (compute.Backend, error) {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if sharedBackend != nil {
		return sharedBackend, nil
	}
	choice, err := Select()
	if err != nil {
		return nil, err
	}
	b, err := compute.NewWithConfig(choice.Config)
	if err != nil {
		return nil, fmt.Errorf("backend: creating %q (%s): %w", choice.Config, choice.Reason, err)
	}
	sharedBackend, sharedChoice = b, choice
	return b, nil
}

// Or returns b when it is not nil, else the process-wide backend (New). Packages that accept a backend
// from their caller (a Config field or an argument, nil meaning the default) resolve it with Or, so the
// choice stays here and the caller's backend is the one used. Its error is New's, which already names
// this package: callers return it as it is, without a prefix of their own.
func Or(b compute.Backend) (compute.Backend, error) {
	if b != nil {
		return b, nil
	}
	return New()
}

// ConfigOf names b for a record (a checkpoint's metadata): the configuration string Select chose when b is
// the process-wide backend ("go:ops_sequential"), else b's own name ("go", "xla").
func ConfigOf(b compute.Backend) string {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if b != nil && b == sharedBackend {
		return sharedChoice.Config
	}
	if b == nil {
		return ""
	}
	return b.Name()
}

// Must is New for code paths (notebook cells, examples) where a missing backend should stop the program.
// The panic carries New's error, which names the problem and the fix.
func Must() compute.Backend {
	b, err := New()
	if err != nil {
		panic(err)
	}
	return b
}

// Current returns the Choice behind the backend New created, or Select's answer if none was created yet.
func Current() Choice {
	sharedMu.Lock()
	if sharedBackend != nil {
		defer sharedMu.Unlock()
		return sharedChoice
	}
	sharedMu.Unlock()
	c, err := Select()
	if err != nil {
		return Choice{Reason: err.Error()}
	}
	return c
}

// Describe returns a one-line description of the backend in use, e.g. for a notebook's first cell.
func Describe() string {
	b, err := New()
	if err != nil {
		return "none: " + strings.TrimPrefix(err.Error(), "backend: ")
	}
	return fmt.Sprintf("%s — %s", b.Description(), Current().Reason)
}
