#!/usr/bin/env bash
# Exact offsets per batch across restarts (issue 5): sluice plans each
# batch's offset range itself and logs it (offsets/<n>) before running it, so
# a batch cut short is replayed with the same range even when more messages
# have arrived since.  A 3-partition topic starts with 500/300/100 messages
# (kcat); a copy query (partition, offset, id) with maxOffsetsPerTrigger = 70
# is killed with SIGKILL between checkpoint write steps again and again, and
# after every kill kcat adds messages to partitions 1 and 2, which would
# change how a re-planned batch splits its 70 offsets.  Then: every batch's
# logged range equals the one first logged for it, the batch's committed
# output is exactly that range, no batch holds more than 70 messages, and
# every produced message is in the output exactly once.
set -eu
. "$(dirname "$0")/200-kafka-lib.sh"
start_broker "ev:3"

produce() { # $1 partition, $2 first index, $3 count
    $PY - "$@" > "$T/msgs.jsonl" <<'PY'
import json, sys
p, first, n = map(int, sys.argv[1:4])
for i in range(first, first + n): print(json.dumps({"id": p * 100000 + i}))
PY
    kcat -P -b "$BS" -t ev -p "$1" -l "$T/msgs.jsonl"
}
produce 0 0 500
produce 1 0 300
produce 2 0 100
n1=300 n2=100

cat > "$T/q.sql" <<SQL
CREATE SOURCE ev (id INT, partition INT, offset BIGINT) WITH (connector = 'kafka', 'bootstrap.servers' = '$BS',
    subscribe = 'ev', startingOffsets = 'earliest', maxOffsetsPerTrigger = '70', format = 'json');
CREATE SINK copy WITH (connector = 'file', path = '$T/out', format = 'json', checkpointLocation = '$T/ck',
                       trigger = 'availableNow') AS
SELECT partition, offset, id FROM ev;
SQL

mkdir "$T/first"
snapshot() { # keeps the first version of every offsets/<n> ever written
    for f in "$T"/ck/offsets/*; do
        [ -f "$f" ] || continue
        [ -e "$T/first/$(basename "$f")" ] || cp "$f" "$T/first/"
    done
}
kills=0 runs=0
RANDOM=207
while [ $runs -lt 80 ]; do
    runs=$((runs + 1))
    rc=0
    SLUICE_CRASH_AT_STEP=$((1 + RANDOM % 35)) "$SK" run "$T/q.sql" >> "$T/log" 2>&1 || rc=$?
    snapshot
    [ $rc -eq 0 ] && break
    [ $rc -eq 137 ] || { tail -5 "$T/log"; echo "FAIL: run $runs ended with status $rc"; exit 1; }
    kills=$((kills + 1))
    produce 1 $n1 8; n1=$((n1 + 8))
    produce 2 $n2 12; n2=$((n2 + 12))
done
"$SK" run "$T/q.sql" >> "$T/log" 2>&1 || { tail -5 "$T/log"; echo "FAIL: last run"; exit 1; }
snapshot
[ $kills -ge 5 ] || { echo "FAIL: only $kills kills landed"; exit 1; }
reruns=$(grep -c "resuming from checkpoint $T/ck at batch [0-9]* (re-running a batch cut short)" "$T/log" || true)
[ "$reruns" -ge 3 ] || { tail -5 "$T/log"; echo "FAIL: only $reruns restarts re-ran a batch cut short"; exit 1; }

$PY - "$T" $n1 $n2 <<'PY' || { echo "FAIL: batch offsets"; exit 1; }
import json, os, re, sys, collections
T, n1, n2 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def payload(path):
    b = open(path, "rb").read()
    assert b[:4] == b"SLCK", path
    return json.loads(b[24:])
final = {int(f): payload(os.path.join(T, "ck/offsets", f)) for f in os.listdir(T + "/ck/offsets") if f.isdigit()}
first = {int(f): payload(os.path.join(T, "first", f)) for f in os.listdir(T + "/first")}
parts = {}
for f in os.listdir(T + "/out"):
    m = re.match(r"part-(\d+)\.json$", f)
    if m: parts[int(m.group(1))] = sorted((r["partition"], r["offset"], r["id"]) for r in map(json.loads, open(os.path.join(T, "out", f))))
for n in final:
    assert final[n] == first[n], "batch %d: logged range changed across restarts:\n %s\n %s" % (n, first[n], final[n])
prev = collections.Counter()
total = 0
for n in sorted(final):
    end = {int(p): o for p, o in final[n]["sources"]["ev"]["ev"].items()}
    want = sorted((p, o, p * 100000 + o) for p in end for o in range(prev[p], end[p]))
    assert len(want) <= 70, "batch %d spans %d offsets, over maxOffsetsPerTrigger" % (n, len(want))
    got = parts.get(n, [])
    assert got == want, "batch %d: output %d rows, its logged range %d offsets" % (n, len(got), len(want))
    total += len(got)
    prev.update({p: end[p] - prev[p] for p in end})
assert dict(prev) == {0: 500, 1: n1, 2: n2}, (dict(prev), n1, n2)
assert sorted(parts) == sorted(n for n in final if parts.get(n)), "output of a batch that was not logged"
print("%d batches, %d messages, each batch its logged range" % (len(final), total))
PY
echo "ok: $kills SIGKILLs ($reruns restarts re-ran a batch cut short, messages arriving in between), every batch replayed with exactly its logged offsets"
