#!/usr/bin/env bash
# gpu-check.sh: build here a carryable bench binary with XLA (cgo), and on a GPU machine time the project's
# training step on the CUDA PJRT backend and check its loss against the CPU run of the same seed.
#
#   scripts/gpu-check.sh build                 # here: builds bin/gpu-check/bench (cgo + XLA), checks size <= 64 MiB
#   scripts/gpu-check.sh run  [--dry-run]      # on the GPU machine (or --dry-run anywhere: checks, prints the plan)
#
# run: finds the CUDA plugin ($PJRT_PLUGIN, else the image's jax-cuda13-pjrt xla_cuda_plugin.so), then per
# workload (sit-tiny, STEPS steps, default 20; sit-b2, the SiT-B/2 preset at batch 8, STEPS_B2, default 3) times bench -go-only on xla:<plugin> and on the CPU with the same
# seed, and prints one summary line: steps/s on each, last loss on each, and PASS if they agree within
# LOSS_RTOL (default 0.05 relative: float32 reductions run in another order on the GPU).
# Never run on a GPU yet (no machine lent so far); not yet done: the PyTorch 2.11 eager / torch.compile comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=bin/gpu-check/bench
mode="${1:-}"; dry="${2:-}"
die() { echo "gpu-check: $*" >&2; exit 1; }
case "$mode" in
build)
  export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}" GOEXPERIMENT="${GOEXPERIMENT:-simd}" CGO_ENABLED=1
  command -v gcc >/dev/null || die "no C compiler: XLA needs cgo; apt-get install gcc"
  mkdir -p bin/gpu-check
  go build -trimpath -ldflags='-s -w' -o "$bin" ./mixflowlib/cmd/bench
  size=$(stat -c %s "$bin")
  (( size <= 64 * 1024 * 1024 )) || die "$bin is $size bytes, over the 64 MiB a device call carries"
  echo "gpu-check: built $bin ($((size / 1024 / 1024)) MiB); carry bin/gpu-check and run: scripts/gpu-check.sh run" ;;
run)
  [[ -x "$bin" ]] || die "no $bin: run 'scripts/gpu-check.sh build' on the build machine and carry bin/gpu-check"
  plugin="${PJRT_PLUGIN:-}"
  if [[ -z "$plugin" ]]; then
    plugin=$(ls /opt/torch/.venv/lib/python3*/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so 2>/dev/null | head -1 || true)
  fi
  gpu=yes; command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1 || gpu=no
  if [[ "$dry" != "--dry-run" ]]; then
    [[ $gpu == yes ]] || die "no GPU (nvidia-smi finds none): run this on a lent GPU machine; the CPU path needs nothing"
    [[ -n "$plugin" && -f "$plugin" ]] || die "no CUDA PJRT plugin: pip install jax-cuda13-pjrt (or set PJRT_PLUGIN=/abs/path/xla_cuda_plugin.so)"
  fi
  export GOMLX_NO_AUTO_INSTALL=1 XLA_FLAGS="${XLA_FLAGS:-}"
  steps="${STEPS:-20}"; rtol="${LOSS_RTOL:-0.05}"; out="${OUT:-/tmp}/gpu-check"; mkdir -p "$out"
  for w in sit-tiny sit-b2; do
    n="$steps"; [[ $w == sit-b2 ]] && n="${STEPS_B2:-3}"  # SiT-B/2 on the CPU side: about a minute per step
    gpu_cmd=("$bin" -go-only -workloads "$w" -runs 1 -warmup 0 -steps "$n" -seed 1 -go-backend "xla:$plugin" -json "$out/$w-gpu.json")
    cpu_cmd=("$bin" -go-only -workloads "$w" -runs 1 -warmup 0 -steps "$n" -seed 1 -go-backend go -json "$out/$w-cpu.json")
    if [[ "$dry" == "--dry-run" ]]; then
      echo "gpu-check: dry-run $w gpu=$gpu plugin=${plugin:-none}"; echo "  ${gpu_cmd[*]}"; echo "  ${cpu_cmd[*]}"; continue
    fi
    if ! "${gpu_cmd[@]}" > "$out/$w-gpu.log" 2>&1; then
      if grep -qi "out of memory\|RESOURCE_EXHAUSTED" "$out/$w-gpu.log"; then die "$w: CUDA out of memory: lower the batch or use a smaller preset"; fi
      if grep -qi "PJRT_Api\|api version" "$out/$w-gpu.log"; then die "$w: the plugin's PJRT API version does not match go-xla v0.4.13: use a jax-cuda13-pjrt built for it (see $out/$w-gpu.log)"; fi
      die "$w: GPU run failed, see $out/$w-gpu.log: $(tail -1 "$out/$w-gpu.log")"
    fi
    "${cpu_cmd[@]}" > "$out/$w-cpu.log" 2>&1 || die "$w: CPU run failed, see $out/$w-cpu.log"
    python3 - "$w" "$out/$w-gpu.json" "$out/$w-cpu.json" "$rtol" <<'PY'
import json, sys
w, g, c, rtol = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3])), float(sys.argv[4])
pick = lambda d: (d[0] if isinstance(d, list) else d.get("results", [d])[0])["go"]
gs, cs = pick(g), pick(c)
sps = lambda s: sum(r["steps"] for r in s["runs"]) / sum(r["seconds"] for r in s["runs"])
gl, cl = gs.get("last_loss"), cs.get("last_loss")
ok = gl is not None and cl is not None and abs(gl - cl) <= rtol * abs(cl)
print(f"gpu-check {w}: gpu_steps_per_s={sps(gs):.2f} cpu_steps_per_s={sps(cs):.2f} gpu_loss={gl} cpu_loss={cl} rtol={rtol} {'PASS' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PY
  done ;;
*) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; [[ "$mode" == -h || "$mode" == --help ]] || exit 2 ;;
esac
