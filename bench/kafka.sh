#!/usr/bin/env bash
# Kafka → JSON parse → filter → Kafka on the embedded broker, against kcat's
# plain consume of the same topic in the same run.
#
# A `sluice broker` process holds topic `in` (8 partitions) filled with N
# JSON transactions (seeded); then, each timed by /usr/bin/time:
#   kcat      consumes `in` from the beginning to the end, output discarded;
#   sluice    `sluice run` of: SELECT … FROM in WHERE amount > 500 → topic
#             `out` (trigger availableNow, batches of maxOffsetsPerTrigger);
#   connector bench/kafka_bench.c: the same pipeline straight on the
#             connector API, with a time breakdown.
# kcat and sluice run are each timed 3 times and the fastest run counts.
# Rates are messages read per wall second and per CPU second of the client
# process (user + sys, librdkafka's threads included; the broker process is
# shared and counted for neither).  The mock cluster keeps only ~5 MB per
# partition, hence 8 partitions.
#
#   bench/kafka.sh [N]      (default 200000)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SLUICE=${SLUICE:-$BUILD/sluice}
N=${1:-200000}
PY=/usr/bin/python3
T=$(mktemp -d)
BPID=
cleanup() { [ -n "$BPID" ] && kill "$BPID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
command -v kcat >/dev/null || { echo "kcat not installed"; exit 1; }

cc -std=c11 -D_GNU_SOURCE -O2 -g -I"$ROOT/include" -I"$ROOT/src" -o "$T/kafka_bench" \
    "$ROOT/bench/kafka_bench.c" "$BUILD/libsluice.a" \
    -lrdkafka -lsnappy -lzstd -lz -lpcre2-8 -lmicrohttpd -lm -lpthread

"$SLUICE" broker --topics in:8,out1:8,out2:8,out3:8,conn:8 --port-file "$T/port" > /dev/null &
BPID=$!
for _ in $(seq 200); do [ -s "$T/port" ] && break; sleep 0.05; done
BS=$(cat "$T/port")

$PY - "$N" > "$T/in.jsonl" <<'PY'
import json, random, sys
r = random.Random(7)
names, surnames = ["Ann", "Bob", "Carl", "Dana", "Eve"], ["Rossi", "Smith", "Kim", "Ono"]
for i in range(int(sys.argv[1])):
    print(json.dumps({"name": r.choice(names), "surname": r.choice(surnames),
                      "amount": round(r.uniform(0, 1000), 2), "delta_t": round(r.uniform(0, 10), 3),
                      "flag": r.randint(0, 1)}))
PY
EXPECT=$($PY -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["amount"] > 500))' "$T/in.jsonl")
"$SLUICE" produce --bootstrap "$BS" --topic in "$T/in.jsonl"

rate() { # label wall user sys
    awk -v l="$1" -v n="$N" -v w="$2" -v u="$3" -v s="$4" 'BEGIN{
        c = u + s; if (c <= 0) c = 0.001
        printf "%-10s %8.0f msg/s wall  %9.0f msg/s per CPU-second  (wall %.2fs, cpu %.2fs)\n", l, n / w, n / c, w, c }'
}

# best of 3 runs for kcat and for sluice run (the broker shares the machine)
best() { sort -n "$1" | head -1; }
for r in 1 2 3; do
    /usr/bin/time -f "%e %U %S" -a -o "$T/kcat.times" kcat -C -b "$BS" -t in -o beginning -e -q > "$T/kcat.out"
    GOT=$(wc -l < "$T/kcat.out")
    [ "$GOT" -eq "$N" ] || { echo "kcat read $GOT of $N messages"; exit 1; }
done

cat > "$T/q.sql" <<'SQL'
CREATE SOURCE txs (name STRING, surname STRING, amount DOUBLE, delta_t DOUBLE, flag INT)
WITH (connector = 'kafka', 'bootstrap.servers' = '${KAFKA}', subscribe = 'in',
      startingOffsets = 'earliest', maxOffsetsPerTrigger = '100000', format = 'json');
CREATE SINK big
WITH (connector = 'kafka', 'bootstrap.servers' = '${KAFKA}', topic = 'out',
      trigger = 'availableNow') AS
SELECT name, surname, amount, delta_t, flag FROM txs WHERE amount > 500;
SQL
for r in 1 2 3; do
    sed "s/topic = 'out'/topic = 'out$r'/" "$T/q.sql" > "$T/q$r.sql"
    /usr/bin/time -f "%e %U %S" -a -o "$T/run.times" "$SLUICE" run "$T/q$r.sql" --var KAFKA="$BS" --quiet > /dev/null
    OUT=$(kcat -C -b "$BS" -t "out$r" -o beginning -e -q | wc -l)
    [ "$OUT" -eq "$EXPECT" ] || { echo "sluice run wrote $OUT rows, expected $EXPECT"; exit 1; }
done

"$T/kafka_bench" "$BS" in conn "$N" > "$T/conn.out"
read -r _ _ _ _ _ _ _ cw _ cc _ < "$T/conn.out"

echo "Kafka -> JSON parse -> filter (amount > 500) -> Kafka, $N messages, 8 partitions, embedded broker, best of 3"
rate kcat $(best "$T/kcat.times")
rate "sluice run" $(best "$T/run.times")
rate connector "$cw" "$cc" 0
echo "connector breakdown: $(sed 's/.*(//; s/)//' "$T/conn.out")"
awk -v a="$(best "$T/kcat.times" | cut -d' ' -f1)" -v b="$(best "$T/run.times" | cut -d' ' -f1)" \
    'BEGIN{printf "sluice run / kcat (wall rate): %.0f%%\n", 100 * a / b}'
echo "rows out: $OUT (expected $EXPECT)"
