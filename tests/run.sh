#!/usr/bin/env bash
# The whole test suite, as `make test` runs it: unit tests, SQL logic tests,
# streaming scenarios and script tests (end to end, oracles), first against
# the release build, then against the ASan+UBSan build. Ends with one line
# "N passed, N failed".
#
# Script tests are executables tests/scripts/*.sh: exit 0 passes, 77 skips
# (the script prints why), anything else fails. They get SLUICE (the binary),
# BUILD (its build directory) and ROOT (the repository) in the environment.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
passed=0 failed=0 skipped=0
failures=()

count_runner() { # parses "N passed, N failed" from a runner's last line
    local out=$1 label=$2 p f
    p=$(grep -Eo '^[0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -1 | awk '{print $1}')
    f=$(grep -Eo '^[0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -1 | awk '{print $3}')
    if [ -z "$p" ]; then failed=$((failed + 1)); failures+=("$label (runner crashed)"); return; fi
    passed=$((passed + p)); failed=$((failed + f))
    [ "$f" -eq 0 ] || failures+=("$label: $f failed")
}

run_suite() {
    local build=$1 tag=$2
    export SLUICE="$ROOT/$build/sluice" BUILD="$ROOT/$build" ROOT
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    echo "== $tag: unit tests" >&2
    out=$("$build/test_unit" 2>&1); echo "$out" | grep -E 'FAIL|failed|ERROR|Sanitizer' >&2
    count_runner "$out" "$tag unit"
    if [ -x "$build/sluice" ] && ls tests/sql/*.slt >/dev/null 2>&1; then
        echo "== $tag: SQL logic tests" >&2
        out=$("$build/sluice" test tests/sql/*.slt 2>&1); echo "$out" | grep -E 'FAIL|ERROR|Sanitizer' >&2
        count_runner "$out" "$tag sql"
    fi
    if [ -x "$build/sluice" ] && ls tests/scenario/*.scn >/dev/null 2>&1; then
        echo "== $tag: streaming scenarios" >&2
        out=$("$build/sluice" test tests/scenario/*.scn 2>&1); echo "$out" | grep -E 'FAIL|ERROR|Sanitizer' >&2
        count_runner "$out" "$tag scenario"
    fi
    for t in tests/scripts/*.sh; do
        [ -x "$t" ] || continue
        name="$tag $(basename "$t" .sh)"
        log=$(mktemp)
        timeout 600 "$t" >"$log" 2>&1
        rc=$?
        if [ $rc -eq 0 ]; then passed=$((passed + 1))
        elif [ $rc -eq 77 ]; then skipped=$((skipped + 1)); echo "skip $name: $(tail -1 "$log")" >&2
        else failed=$((failed + 1)); failures+=("$name (exit $rc)"); echo "FAIL $name:" >&2; tail -20 "$log" >&2
        fi
        rm -f "$log"
    done
}

run_suite build release
run_suite build/asan asan

for f in "${failures[@]}"; do echo "failed: $f" >&2; done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
