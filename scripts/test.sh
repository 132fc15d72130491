#!/usr/bin/env bash
# Runs every test of the project (the README's test command; .ci/run runs it after setting up):
#
#   1. gofmt check           5. every notebooks/*.ipynb through `kernel exec --quick`
#   2. go vet ./...          6. Jupyter's kernel conformance test (jupyter_kernel_test)
#   3. go test ./...         7. the browser tests in Notebook 6 and JupyterLab 4 (go test -tags browser)
#   4. kernel install into a temporary Jupyter data dir (the user's is never touched)
#
# Executed notebooks are kept in build/test-notebooks/ and the conformance test's kernel log in
# build/conformance-kernel.log, for inspection. Prerequisites come from
# scripts/setup.sh. Exit status is non-zero when any step fails; all steps run regardless.
set -uo pipefail

cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd
PYTHON=${MIXFLOW_PYTHON:-/usr/bin/python3}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mixflow-test-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export JUPYTER_DATA_DIR=$TMP/jupyter # steps 4-7 use the kernel installed here
NOTEBOOK_OUT=build/test-notebooks
mkdir -p build

RESULTS=()
FAILED=0
START_ALL=$(date +%s)

# step NAME COMMAND... runs one step, timing it and recording the result.
step() {
	local name=$1 start rc
	shift
	printf '\n==> %s\n' "$name"
	start=$(date +%s)
	"$@"
	rc=$?
	local took=$(($(date +%s) - start))
	if [ $rc -eq 0 ]; then
		RESULTS+=("ok    ${took}s  $name")
	else
		RESULTS+=("FAIL  ${took}s  $name (exit $rc)")
		FAILED=1
	fi
	return 0
}

gofmt_check() {
	local out
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		out=$(git ls-files -z --cached --others --exclude-standard '*.go' | xargs -0 -r gofmt -l)
	else # not a git checkout (e.g. an unpacked archive)
		out=$(find . -name '*.go' -not -path '*/node_modules/*' -not -path './build/*' -print0 | xargs -0 -r gofmt -l)
	fi
	if [ -n "$out" ]; then
		echo "not gofmt-formatted (run gofmt -w):"
		echo "$out"
		return 1
	fi
}

browser_test() {
	if ! grep -rlq --include='*_test.go' '^//go:build.*browser' widgets 2>/dev/null; then
		echo "no browser test (go:build browser) under widgets/ yet: skipped"
		return 0
	fi
	go test -tags browser -timeout 20m ./widgets/...
}

step "gofmt" gofmt_check
step "go vet ./..." go vet ./...
step "go test ./..." go test -timeout 30m ./...
step "kernel install (into $JUPYTER_DATA_DIR)" go run ./kernel install
mkdir -p "$NOTEBOOK_OUT"
# A fresh experiment cache: quick-mode runs must compute everything, as on a clean CI machine, and
# never mix with the user's cached full-run results.
step "notebooks (kernel exec --quick)" env MIXFLOW_CACHE="$TMP/cache" \
	go run ./kernel exec --quick --timeout 15m --out "$NOTEBOOK_OUT" notebooks/*.ipynb
step "kernel conformance (jupyter_kernel_test)" env MIXFLOW_CONFORMANCE_LOG=build/conformance-kernel.log \
	"$PYTHON" -m unittest -v tests/kernel/test_conformance.py
step "browser test (widgets)" browser_test

printf '\n==> summary (%ss in all)\n' $(($(date +%s) - START_ALL))
printf '%s\n' "${RESULTS[@]}"
exit $FAILED
