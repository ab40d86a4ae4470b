# Shared by the 2xx-kafka-* script tests (sourced, not run): finds a `sluice`
# that knows the Kafka subcommands, starts an embedded broker and stops it.
#
# Until cli/main.c dispatches broker/produce/consume, a stand-in built from
# bench/kafka_cli_main.c against $BUILD/libsluice.a is used instead.
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$ROOT/build}" "${SLUICE:=$BUILD/sluice}"
command -v kcat >/dev/null || { echo "skip: kcat not installed"; exit 77; }
PY=/usr/bin/python3
T=$(mktemp -d)
BROKER_PID=
kafka_cleanup() {
    [ -n "$BROKER_PID" ] && kill "$BROKER_PID" 2>/dev/null && wait "$BROKER_PID" 2>/dev/null
    rm -rf "$T"
}
trap kafka_cleanup EXIT

SK=$SLUICE
if ! "$SK" broker --help 2>/dev/null | grep -q port-file; then
    SK=$T/sluice-kafka
    SAN=
    case "$BUILD" in *asan*) SAN="-fsanitize=address,undefined -fno-omit-frame-pointer" ;; esac
    cc -std=c11 -D_GNU_SOURCE -I"$ROOT/include" $SAN -o "$SK" "$ROOT/bench/kafka_cli_main.c" \
        "$ROOT/cli/cmd_kafka.c" "$BUILD/libsluice.a" \
        -lrdkafka -lsnappy -lzstd -lz -lpcre2-8 -lmicrohttpd -lm -lpthread ||
        { echo "FAIL: cannot build the Kafka stand-in CLI"; exit 1; }
fi

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
