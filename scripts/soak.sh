#!/usr/bin/env bash
# Kill -9 soak (issue 14): N random SIGKILLs during training runs (a bare trainer with wall-time
# checkpoints, and a cached toy experiment through expcache), each run resumed until it finishes; then
# every checkpoint and cache entry on disk is verified, temporary files are counted, and each resumed
# run's final checkpoint (all variables) and loss history are compared with an uninterrupted run's.
# Prints one summary line starting "soak:"; exits non-zero on any corrupt file, orphan or difference.
#
#   scripts/soak.sh                      # 100 kills (about 6 to 10 minutes on 2 busy cores)
#   scripts/soak.sh -soak.kills 20       # fewer; also -soak.steps, -soak.per-run, -soak.max-delay,
#                                        # -soak.seed, -soak.keep (keep the work directory)
#
# Runs at nice 19. The test is tests/soak/soak_test.go, behind the build tag "soak".
set -uo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd
if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
	sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
fi
exec nice -n 19 go test -tags soak -count 1 -timeout 60m -v -run '^TestSoak$' ./tests/soak/ -args "$@"
