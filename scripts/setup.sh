#!/usr/bin/env bash
# One-command setup of the MixFlow notebook environment on a Debian/Ubuntu machine, then the main job.
#
#   scripts/setup.sh           install what is missing, install the "MixFlow (Go)" Jupyter kernel,
#                              then execute notebooks/00-quickstart.ipynb on the CPU
#   scripts/setup.sh --no-run  install only (CI and the Docker images use this)
#   scripts/setup.sh --deps-only  system packages and Go only (no kernel, no notebook)
#
# It is idempotent: packages already present are not reinstalled, and re-running only refreshes the
# kernel. apt-get needs root: run as root or with sudo available. Environment knobs:
#   JUPYTER_DATA_DIR   where the kernelspec goes (default: ~/.local/share/jupyter)
#   KERNEL_INSTALL_ARGS extra flags for `go run ./kernel install`, e.g. "--prefix /usr/local"
#   MIXFLOW_SKIP_APT=1  do not touch system packages
#   MIXFLOW_APT_EXCLUDE  packages to leave out, e.g. "chromium chromium-driver" where they are snaps
#   MIXFLOW_APT_UPDATED=1  apt-get update already ran (set by .ci/run)
#   MIXFLOW_GO_LINK_DIR  where a bootstrapped Go is linked as `go` (default /usr/local/bin)
#   MIXFLOW_JUPYTERLAB_VENV  the virtualenv JupyterLab goes into (default ~/.venvs/jupyterlab)
#   MIXFLOW_SKIP_JUPYTERLAB=1  do not install JupyterLab (Jupyter Notebook 6 still works)
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$(pwd)
GO_VERSION=go1.27.3
export GOTOOLCHAIN=$GO_VERSION GOEXPERIMENT=simd

RUN_MAIN=1
DEPS_ONLY=0
for arg in "$@"; do
	case $arg in
	--no-run) RUN_MAIN=0 ;;
	--deps-only) DEPS_ONLY=1 ;;
	-h | --help)
		awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
		exit 0
		;;
	*)
		echo "setup.sh: unknown option $arg (see --help)" >&2
		exit 2
		;;
	esac
done

log() { printf '\n==> %s\n' "$*"; }

# as_root runs a command as root (directly, or through sudo).
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		echo "setup.sh: installing system packages needs root: re-run as root or install sudo (missing: ${MISSING[*]})" >&2
		exit 1
	fi
}

# go_minor prints the minor version of the local `go` (19 for go1.19), or 0 when there is none.
go_minor() {
	local v
	# From /, so that this repository's go.mod (go 1.27.3) does not make an older go refuse to answer.
	# GOEXPERIMENT is cleared: Go releases before 1.26 reject the simd experiment.
	v=$(cd / && GOTOOLCHAIN=local GOEXPERIMENT= go env GOVERSION 2>/dev/null || true)
	v=${v#go1.}
	echo "${v%%.*}" | grep -E '^[0-9]+$' || echo 0
}

# 1. System packages -----------------------------------------------------------------------------
PACKAGES=(
	ca-certificates git gcc libc6-dev # cgo for GoMLX's XLA backend (GPU machines)
	jupyter-notebook jupyter-nbconvert python3-nbclient python3-ipykernel python3-jupyter-kernel-test
	python3-venv # the JupyterLab virtualenv (step 3)
	dataset-fashion-mnist # /usr/share/datasets/fashion-mnist
	python3-torch libopenblas0 # PyTorch baselines (OpenBLAS: the reference BLAS is ~20x slower)
	chromium chromium-driver # the widgets' browser test
)
MISSING=()
if [ "${MIXFLOW_SKIP_APT:-0}" != 1 ]; then
	for p in "${PACKAGES[@]}"; do
		case " ${MIXFLOW_APT_EXCLUDE:-} " in *" $p "*) continue ;; esac
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || MISSING+=("$p")
	done
	# npm fetches the chart library (ECharts) at install time. NodeSource's nodejs bundles npm and
	# conflicts with Debian's npm package, so only ask for what is really absent.
	if ! command -v npm >/dev/null 2>&1; then
		command -v node >/dev/null 2>&1 || MISSING+=(nodejs)
		MISSING+=(npm)
	fi
	# Go >= 1.21 can fetch the pinned toolchain by itself; an older or absent Go needs Debian's golang-go
	# to bootstrap (below).
	if [ "$(go_minor)" -lt 21 ] && ! dpkg-query -W -f='${Status}' golang-go 2>/dev/null | grep -q "install ok installed"; then
		MISSING+=(golang-go)
	fi
	if [ ${#MISSING[@]} -gt 0 ]; then
		log "installing Debian packages: ${MISSING[*]}"
		if [ "${MIXFLOW_APT_UPDATED:-0}" != 1 ]; then
			as_root apt-get update
		fi
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${MISSING[@]}"
	else
		log "Debian packages: all present"
	fi
fi

# 2. Go 1.27.3 -----------------------------------------------------------------------------------
hash -r
if [ "$(go_minor)" -lt 21 ]; then
	if ! command -v go >/dev/null 2>&1; then
		echo "setup.sh: no go command; install Go >= 1.21 (or Debian's golang-go) and re-run" >&2
		exit 1
	fi
	# An old Go (bookworm's 1.19) cannot switch toolchains, but it can download the toolchain module
	# from the Go module proxy, checksum-verified, and that module is a complete Go installation.
	case $(uname -m) in
	x86_64) GOARCH_DL=amd64 ;;
	aarch64 | arm64) GOARCH_DL=arm64 ;;
	*)
		echo "setup.sh: unsupported CPU $(uname -m) for the Go toolchain download" >&2
		exit 1
		;;
	esac
	TOOLCHAIN_MOD=golang.org/toolchain@v0.0.1-$GO_VERSION.linux-$GOARCH_DL
	log "bootstrapping $GO_VERSION with $(GOTOOLCHAIN=local GOEXPERIMENT= go version) from the module proxy"
	GOROOT_NEW=$(cd /tmp && GOTOOLCHAIN=local GOEXPERIMENT= GOFLAGS= go mod download -json "$TOOLCHAIN_MOD" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	if [ ! -f "$GOROOT_NEW/bin/go" ]; then
		echo "setup.sh: downloading $TOOLCHAIN_MOD failed" >&2
		exit 1
	fi
	# Module zips carry no execute bits; the go command sets them the same way when it switches.
	chmod a+x "$GOROOT_NEW"/bin/* "$GOROOT_NEW"/pkg/tool/*/*
	LINK_DIR=${MIXFLOW_GO_LINK_DIR:-/usr/local/bin}
	as_root ln -sf "$GOROOT_NEW/bin/go" "$LINK_DIR/go"
	as_root ln -sf "$GOROOT_NEW/bin/gofmt" "$LINK_DIR/gofmt"
	hash -r
	if [ "$(go_minor)" -lt 21 ]; then
		echo "setup.sh: linked $GO_VERSION into $LINK_DIR, but \`go\` on PATH is still $(command -v go); put $LINK_DIR first on PATH" >&2
		exit 1
	fi
fi
log "Go: $(go version)"
if [ "$DEPS_ONLY" = 1 ]; then
	log "setup done (--deps-only: system packages and Go)"
	exit 0
fi

# 3. JupyterLab 4, pinned, from PyPI, in a virtualenv of Debian's python3 that also sees Debian's Jupyter
# packages (nbclient, ipykernel, jupyter_kernel_test). A venv cannot be moved once made, so a failed
# first install removes the venv it made; an upgrade of an existing one is pip's own (per package).
JUPYTERLAB_VERSION=4.6.6 # keep in step with jupyterLabVersion in kernel/jupyterlab.go
JLAB_VENV=${MIXFLOW_JUPYTERLAB_VENV:-$HOME/.venvs/jupyterlab}
JLAB_BIN=$JLAB_VENV/bin/jupyter-lab
install_jupyterlab() {
	local have made=0
	have=$("$JLAB_BIN" --version 2>/dev/null || true)
	if [ "$have" = "$JUPYTERLAB_VERSION" ]; then
		log "JupyterLab $have: present in $JLAB_VENV"
		return 0
	fi
	log "installing JupyterLab $JUPYTERLAB_VERSION from PyPI into $JLAB_VENV${have:+ (replacing $have)}"
	if [ ! -x "$JLAB_VENV/bin/python" ]; then
		if [ -e "$JLAB_VENV" ] && [ -n "$(ls -A "$JLAB_VENV" 2>/dev/null)" ]; then
			echo "setup.sh: $JLAB_VENV exists but is not a virtualenv; move it away or set MIXFLOW_JUPYTERLAB_VENV to another directory" >&2
			return 1
		fi
		mkdir -p "$(dirname "$JLAB_VENV")"
		/usr/bin/python3 -m venv --system-site-packages "$JLAB_VENV" || {
			rm -rf "$JLAB_VENV"
			echo "setup.sh: /usr/bin/python3 -m venv failed; install Debian's python3-venv and re-run" >&2
			return 1
		}
		made=1
	fi
	if ! "$JLAB_VENV/bin/python" -m pip install --disable-pip-version-check -q "jupyterlab==$JUPYTERLAB_VERSION" ||
		[ "$("$JLAB_BIN" --version 2>/dev/null)" != "$JUPYTERLAB_VERSION" ]; then
		[ "$made" = 1 ] && rm -rf "$JLAB_VENV"
		echo "setup.sh: pip could not install jupyterlab==$JUPYTERLAB_VERSION from PyPI (see pip's message above); check the network or PIP_INDEX_URL and re-run, or MIXFLOW_SKIP_JUPYTERLAB=1 to go on without JupyterLab" >&2
		return 1
	fi
	log "JupyterLab $("$JLAB_BIN" --version) installed in $JLAB_VENV"
}
if [ "${MIXFLOW_SKIP_JUPYTERLAB:-0}" != 1 ]; then
	install_jupyterlab
fi

# lab_hint prints the one command that opens JupyterLab on the notebooks: `go run ./kernel lab`,
# which checks JupyterLab and the port first and adds --allow-root for root.
lab_hint() {
	local allow=""
	[ "$(id -u)" -eq 0 ] && allow=" --allow-root"
	if [ -x "$JLAB_BIN" ]; then
		echo "    open the notebooks in JupyterLab with:  cd $REPO && GOTOOLCHAIN=$GO_VERSION GOEXPERIMENT=simd go run ./kernel lab"
	else
		echo "    open the notebooks with:  jupyter notebook$allow $REPO/notebooks"
	fi
}

# 4. The kernel ----------------------------------------------------------------------------------
log "installing the MixFlow (Go) Jupyter kernel"
# shellcheck disable=SC2086 # KERNEL_INSTALL_ARGS is a list of flags
go run ./kernel install ${KERNEL_INSTALL_ARGS:-}

if [ "$RUN_MAIN" = 0 ]; then
	log "setup done (--no-run: the quick-start notebook was not executed)"
	lab_hint
	exit 0
fi

# 5. The main job: the quick-start notebook, headless, on the CPU ------------------------------------
log "executing notebooks/00-quickstart.ipynb on the CPU"
MIXFLOW_BACKEND=go go run ./kernel exec notebooks/00-quickstart.ipynb
log "done: the executed notebook is $REPO/notebooks/00-quickstart.executed.ipynb"
lab_hint
