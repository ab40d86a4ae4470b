#!/usr/bin/env bash
# Runs each named libFuzzer target (build/fuzz/<t>_fuzz) for FUZZ_SECONDS
# (default 60) from its committed seed corpus; `make fuzz` calls it after
# building them.  New inputs go to build/fuzz/work/<t> (the committed corpus
# is only read), crashers to build/fuzz/crash-<t>-*.  Prints one line per
# target (runs, corpus size, seconds) and exits 1 if any target crashed.
# FUZZ_JOBS (default 1) forks that many fuzzing workers per target.
set -u
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}
corpus_of() {
    case "$1" in
        sql|model|jsonfn) echo "tests/fuzz/corpus/$1" ;;
        *) echo "fuzz/corpus/$1" ;;   # the targets that predate tests/fuzz
    esac
}
failed=0
for t in "$@"; do
    bin=build/fuzz/${t}_fuzz
    work=build/fuzz/work/$t
    mkdir -p "$work"
    log=build/fuzz/$t.log
    opts=(-max_total_time="$secs" -timeout=25 -rss_limit_mb=4096
          -artifact_prefix="build/fuzz/crash-$t-" -print_final_stats=1)
    dict=tests/fuzz/$t.dict
    [ -f "$dict" ] && opts+=(-dict="$dict")
    if [ "$jobs" -gt 1 ]; then opts+=(-fork="$jobs" -ignore_crashes=0); fi
    start=$(date +%s)
    if "$bin" "${opts[@]}" "$work" "$(corpus_of "$t")" >"$log" 2>&1; then
        status=ok
    else
        status="CRASH (see $log, build/fuzz/crash-$t-*)"
        failed=1
    fi
    end=$(date +%s)
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | awk '{s+=$2} END {print s+0}')
    echo "fuzz $t: $status; $runs runs in $((end - start)) s, corpus $(ls "$work" | wc -l) new inputs"
done
exit $failed
