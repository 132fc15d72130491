#!/usr/bin/env bash
# bench-torch2.sh: run mixflowlib/cmd/bench against a pinned PyTorch 2.x in its own virtualenv, installed on
# first use (never a runtime dependency of the project; not part of setup.sh or CI).
#
#   scripts/bench-torch2.sh [--install-only] [bench flags...]   e.g. scripts/bench-torch2.sh -workloads mlp
#
# Environment: MIXFLOW_TORCH2_VERSION (default 2.11.0, the version the GPU image ships),
# MIXFLOW_TORCH2_VENV (default ~/.cache/mixflow/torch2-<version>), PYTHON (interpreter that makes the venv).
# The CPU-only wheel comes from the PyTorch CPU index when it is reachable; otherwise from PyPI, whose x86-64
# wheel is the CUDA build (several GB with its nvidia-* dependencies; it runs on the CPU).
# When Debian's /usr/bin/python3 imports torch (1.13), it is measured in the same run, so that every line has
# ratio_vs_torch1.13 and ratio_vs_torch2.<minor> side by side (ratio_vs_pytorch: against the best of all); a
# -torch-python flag of your own replaces that pair.
set -euo pipefail
export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}" GOEXPERIMENT="${GOEXPERIMENT:-simd}"
version="${MIXFLOW_TORCH2_VERSION:-2.11.0}"
venv="${MIXFLOW_TORCH2_VENV:-$HOME/.cache/mixflow/torch2-$version}"
python="${PYTHON:-python3}"
install_only=0
if [[ "${1:-}" == "--install-only" ]]; then install_only=1; shift; fi
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi

if ! "$venv/bin/python" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$version')" 2>/dev/null; then
  echo "bench-torch2: installing torch==$version into $venv" >&2
  "$python" -m venv "$venv" || { echo "bench-torch2: cannot create a virtualenv with $python: install python3-venv or set PYTHON" >&2; exit 1; }
  "$venv/bin/python" -m pip install -q --upgrade pip >&2 || true
  if ! "$venv/bin/python" -m pip install -q --retries 0 --timeout 10 --index-url https://download.pytorch.org/whl/cpu "torch==$version" numpy >&2 2>/dev/null; then
    echo "bench-torch2: the PyTorch CPU index is not reachable; taking torch==$version from PyPI (CUDA build, large)" >&2
    "$venv/bin/python" -m pip install -q "torch==$version" numpy >&2 ||
      { echo "bench-torch2: pip install torch==$version failed: check network access to PyPI or set MIXFLOW_TORCH2_VERSION" >&2; exit 1; }
  fi
fi
"$venv/bin/python" -c "import torch; print('bench-torch2: using torch', torch.__version__, 'from $venv')" >&2
[[ $install_only == 1 ]] && exit 0
cd "$(dirname "$0")/.."
pythons="$venv/bin/python"
if /usr/bin/python3 -c "import torch" 2>/dev/null; then pythons="/usr/bin/python3,$pythons"; fi
for a in "$@"; do [[ "$a" == -torch-python || "$a" == --torch-python || "$a" == -torch-python=* || "$a" == --torch-python=* ]] && exec go run ./mixflowlib/cmd/bench "$@"; done
exec go run ./mixflowlib/cmd/bench -torch-python "$pythons" "$@"
