# Shared by the script tests (sourced, never run: not executable, so
# tests/run.sh passes it over).  Source it first:
#
#   set -eu          (or -uo pipefail)
#   . "$(dirname "$0")/lib.sh"
#
# It sets ROOT, BUILD and SLUICE (from the environment, else this checkout's
# build/), PY (/usr/bin/python3), and T, a fresh temporary directory; and it
# installs an EXIT trap that stops every process the test started with
# `track` (last started first, then waits for each), runs the test's own
# at_exit hook if it defined one, removes $T and keeps the exit status.
#
# Why last started first: a pipeline is started after the broker it writes
# to; stopped first, it ends cleanly, whereas a broker stopped first would
# leave it retrying for its whole outageTimeout before the test can end.
#
# Helpers:
#   fail MSG...                 prints "FAIL: MSG" and exits 1
#   need_python                 skips (77) without /usr/bin/python3
#   need_duckdb                 skips without node and @duckdb/node-api
#                               (installs it from tests/oracle if it can);
#                               sets ORACLE (tests/oracle/sql_oracle.js)
#   track PID...                stop these at exit (and in stop_all)
#   stop_all                    stops the tracked processes now, last first
#   wait_file FILE [S] [PID]    waits up to S seconds (default 10) for FILE
#                               to be non-empty; returns 1 when it is not,
#                               or as soon as process PID has exited
#   start_broker TOPICS         runs `sluice broker --topics TOPICS`,
#                               tracked; sets BS to its bootstrap address
#                               and BROKER_PID; fails naming its stderr
#                               ($T/broker.err) when it writes no port
#   need_time                   skips (77) without /usr/bin/time
#   run_measured NAME SQL       runs `sluice run SQL` under /usr/bin/time:
#                               output in $T/NAME.log, peak RSS (KB), user
#                               and sys CPU (s) in $T/NAME.rss; fails
#                               naming the log's tail when the run fails
#   rss_below A B               prints runs A's and B's peak RSS and CPU;
#                               fails unless B's RSS is below A's (not
#                               compared under ASan, whose quarantine
#                               holds freed memory)
#   crash_restart DIR MAX EVERY STEPS DUR_MS [ARG...]
#                               the crash harness: runs `sluice run DIR/q.sql
#                               ARG...` (output appended to DIR/log) until a
#                               run ends by itself, each killed by SIGKILL —
#                               every EVERY-th run at a random instant within
#                               the first quarter of DUR_MS (an uninterrupted
#                               run's time), the others by SLUICE_CRASH_AT_STEP
#                               just before a random one of the first STEPS
#                               checkpoint steps; after MAX runs one more runs
#                               to the end.  Seed RANDOM first; a function
#                               before_run N, when the test defines one, runs
#                               before run N.  Fails on any other ending or a
#                               sanitizer report; sets KILLS, RUNS, RESUMES
#                               and RERUNS (restarts that re-ran a batch cut
#                               short)
#   sanitizer_check FILE...     returns 1, printing it, when one of the
#                               files holds an AddressSanitizer,
#                               LeakSanitizer or UBSan report (for processes
#                               run in the background; call it from at_exit
#                               or as `sanitizer_check F || fail …`)
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$ROOT/build}" "${SLUICE:=$BUILD/sluice}"
PY=/usr/bin/python3
T=$(mktemp -d)
SL_PIDS=()

fail() { echo "FAIL: $*"; exit 1; }

need_python() { [ -x "$PY" ] || { echo "skip: $PY not installed"; exit 77; }; }

need_duckdb() {
    command -v node >/dev/null || { echo "skip: node not installed"; exit 77; }
    [ -d "$ROOT/tests/oracle/node_modules/@duckdb/node-api" ] ||
        (cd "$ROOT/tests/oracle" && npm install --silent >/dev/null 2>&1) ||
        { echo "skip: @duckdb/node-api not installable"; exit 77; }
    ORACLE=$ROOT/tests/oracle/sql_oracle.js
}

track() { SL_PIDS+=("$@"); }

stop_all() {
    local i
    for ((i = ${#SL_PIDS[@]} - 1; i >= 0; i--)); do
        kill "${SL_PIDS[i]}" 2>/dev/null || true
        wait "${SL_PIDS[i]}" 2>/dev/null || true
    done
    SL_PIDS=()
}

wait_file() {
    local file=$1 secs=${2:-10} pid=${3:-} i
    for ((i = 0; i < secs * 20; i++)); do
        [ -s "$file" ] && return 0
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            [ -s "$file" ]
            return
        fi
        sleep 0.05
    done
    [ -s "$file" ]
}

start_broker() {
    rm -f "$T/port"
    "$SLUICE" broker --topics "$1" --port-file "$T/port" >"$T/broker.out" 2>"$T/broker.err" &
    BROKER_PID=$!
    track "$BROKER_PID"
    wait_file "$T/port" 20 "$BROKER_PID" ||
        fail "sluice broker wrote no port file: $(tail -5 "$T/broker.err")"
    BS=$(cat "$T/port")
}

need_time() { [ -x /usr/bin/time ] || { echo "skip: /usr/bin/time is missing"; exit 77; }; }

run_measured() {
    /usr/bin/time -f "%M %U %S" -o "$T/$1.rss" "$SLUICE" run "$2" > "$T/$1.log" 2>&1 ||
        { tail -5 "$T/$1.log"; fail "the $1 run failed"; }
}

rss_below() {
    local q rss usr sys a b
    for q in "$1" "$2"; do
        read -r rss usr sys < <(tail -1 "$T/$q.rss")
        echo "$q: peak RSS $((rss / 1024)) MB, CPU $usr s user + $sys s sys"
    done
    a=$(tail -1 "$T/$1.rss" | cut -d' ' -f1) b=$(tail -1 "$T/$2.rss" | cut -d' ' -f1)
    if ldd "$SLUICE" 2>/dev/null | grep -q libasan; then
        echo "(ASan build: RSS not compared)"
    else
        [ "$b" -lt "$a" ] || fail "the $2 run's peak RSS is not below the $1 run's"
    fi
}

sanitizer_check() {
    local f
    for f in "$@"; do
        [ -f "$f" ] || continue
        if grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$f"; then
            grep -E -A20 "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$f" | head -40
            echo "FAIL: sanitizer report in $(basename "$f")"
            return 1
        fi
    done
    return 0
}

crash_restart() {
    local dir=$1 max=$2 every=$3 steps=$4 dur_ms=$5 rc=1 ms
    shift 5
    KILLS=0 RUNS=0
    while [ $RUNS -lt "$max" ]; do
        RUNS=$((RUNS + 1))
        if declare -F before_run >/dev/null; then before_run $RUNS; fi
        if [ $((RUNS % every)) -ne 0 ]; then
            SLUICE_CRASH_AT_STEP=$((1 + RANDOM % steps)) "$SLUICE" run "$dir/q.sql" "$@" >> "$dir/log" 2>&1 &
            SL_CRASH_PID=$!
        else
            "$SLUICE" run "$dir/q.sql" "$@" >> "$dir/log" 2>&1 &
            SL_CRASH_PID=$!
            # this sleep picks the instant of the kill; nothing waits on a result
            ms=$((RANDOM % (dur_ms / 4 + 1))); sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
            kill -9 $SL_CRASH_PID 2>/dev/null || true
        fi
        rc=0; wait $SL_CRASH_PID 2>/dev/null || rc=$?; SL_CRASH_PID=
        [ $rc -eq 0 ] && break
        [ $rc -eq 137 ] || { tail -5 "$dir/log"; fail "$dir: run $RUNS ended with status $rc, not by SIGKILL"; }
        KILLS=$((KILLS + 1))
    done
    if [ $rc -ne 0 ]; then # one run to the end, without crashes
        timeout 60 "$SLUICE" run "$dir/q.sql" "$@" --quiet >> "$dir/log" 2>&1 ||
            { tail -5 "$dir/log"; fail "$dir: the run to the end after $KILLS kills failed"; }
    fi
    sanitizer_check "$dir/log" || fail "$dir: sanitizer report"
    RESUMES=$(grep -c "resuming from checkpoint" "$dir/log" || true)
    RERUNS=$(grep -c "re-running a batch cut short" "$dir/log" || true)
}

sl_lib_exit() {
    local rc=$?
    [ -z "${SL_CRASH_PID:-}" ] || kill -9 "$SL_CRASH_PID" 2>/dev/null || true
    stop_all
    if declare -F at_exit >/dev/null; then at_exit || rc=1; fi
    rm -rf "$T"
    exit $rc
}
trap sl_lib_exit EXIT
