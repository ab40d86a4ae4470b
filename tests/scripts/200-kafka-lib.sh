# Shared by the 2xx-kafka-* script tests (sourced, not run): starts an
# embedded broker (`sluice broker`) and stops it when the test exits.
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$ROOT/build}" "${SLUICE:=$BUILD/sluice}"
command -v kcat >/dev/null || { echo "skip: kcat not installed"; exit 77; }
PY=/usr/bin/python3
T=$(mktemp -d)
BROKER_PID=
kafka_cleanup() {
    local rc=${1:-$?}   # the exit status, passed on by traps that run more first
    [ -n "$BROKER_PID" ] && kill "$BROKER_PID" 2>/dev/null && wait "$BROKER_PID" 2>/dev/null
    # the broker runs in the background: its sanitizer reports would go unseen
    if grep -q Sanitizer "$T/broker.err" 2>/dev/null; then
        cat "$T/broker.err"; echo "FAIL: sanitizer report from sluice broker"; rc=1
    fi
    rm -rf "$T"
    exit $rc
}
trap kafka_cleanup EXIT

SK=$SLUICE

# start_broker TOPICS: runs `sluice broker` and sets BS to its address once
# the port file appears (awaited, bounded).
start_broker() {
    "$SK" broker --topics "$1" --port-file "$T/port" > "$T/broker.out" 2> "$T/broker.err" &
    BROKER_PID=$!
    for _ in $(seq 200); do
        [ -s "$T/port" ] && break
        kill -0 "$BROKER_PID" 2>/dev/null || { cat "$T/broker.err"; echo "FAIL: broker died"; exit 1; }
        sleep 0.05
    done
    [ -s "$T/port" ] || { echo "FAIL: broker wrote no port file"; exit 1; }
    BS=$(cat "$T/port")
}
