#!/usr/bin/env bash
# Runs the Go fuzz targets of every parser of outside data, one at a time, each for FUZZTIME (default 5m),
# and prints one line per target: executions and whether it found a crasher.
#
#   scripts/fuzz.sh                 # all targets, 5 minutes each
#   FUZZTIME=30s scripts/fuzz.sh idx checkpoint    # some targets (matched against the package path)
#
# The committed seeds (f.Add in each fuzz_test.go and testdata/fuzz/<Target>/) run as ordinary tests
# under `go test ./...`, so CI needs nothing from here. A crasher is written by Go to
# <package>/testdata/fuzz/<Target>/; fix it and commit it as a regression seed. Logs go to
# ${FUZZLOG:-build/fuzz}/<Target>.log. Runs at nice 19 with one fuzzing worker (-parallel 1), minimising
# a new input for at most 5 s (Go's default 60 s stalls the slow checkpoint and cache targets).
set -uo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd
FUZZTIME=${FUZZTIME:-5m}
LOGDIR=${FUZZLOG:-build/fuzz}
mkdir -p "$LOGDIR"

TARGETS=(
	"./datasets/idx FuzzDecode"
	"./datasets/cifar10 FuzzParse"
	"./datasets/imagefolder FuzzDecode"
	"./datasets/captions FuzzTokenizer"
	"./mixflowlib/experiment/t2iexp FuzzParseCaption"
	"./kernel/notebook FuzzParse"
	"./mixflowlib/checkpoint FuzzRead"
	"./mixflowlib/expcache FuzzEntry"
	"./mixflowlib/timesteps FuzzByName"
	"./mixflowlib/sampler FuzzParseMethod"
	"./mixflowlib/backend FuzzSelect"
)

if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
	sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
fi

FAILED=0
for t in "${TARGETS[@]}"; do
	read -r pkg fn <<<"$t"
	if [ $# -gt 0 ]; then
		want=0
		for a in "$@"; do [[ $pkg == *"$a"* ]] && want=1; done
		[ $want = 1 ] || continue
	fi
	log="$LOGDIR/$(basename "$pkg")-$fn.log"
	nice -n 19 go test -run "^$fn\$" -fuzz "^$fn\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 5s -parallel 1 "$pkg" >"$log" 2>&1
	rc=$?
	last=$(grep -o 'elapsed: [^,]*, execs: [0-9]*' "$log" | tail -1)
	if [ $rc -eq 0 ]; then
		echo "ok     $pkg $fn  $last  crashers: 0"
	else
		FAILED=1
		echo "FAIL   $pkg $fn  $last  crasher: $(grep -o 'testdata/fuzz/[^ ]*' "$log" | head -1)  (log $log)"
	fi
done
exit $FAILED
