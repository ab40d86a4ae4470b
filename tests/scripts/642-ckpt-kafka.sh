#!/usr/bin/env bash
# Kafka source restart at exact offsets (issues 5 and 6).  600 messages in
# a 3-partition topic on the embedded broker; a windowed count per key and a
# plain copy of every message (partition, offset, id), each sink with its own
# checkpoint, maxOffsetsPerTrigger = 40 so the run is many batches.  The
# process is killed with SIGKILL between checkpoint write steps again and
# again and restarted; then 300 more messages are produced and a last run
# picks them up.  Every (partition, offset) must be in the copy exactly once
# (the offsets of each partition contiguous), and the counts must equal
# Python's count of the produced messages per key and window (the watermark
# delay is longer than the data's span, so no row is late).
set -eu
. "$(dirname "$0")/200-kafka-lib.sh"
start_broker "ev:3"

gen() { # $1 first id, $2 count → JSON lines
    $PY - "$1" "$2" <<'PY'
import json, random, sys
first, n = int(sys.argv[1]), int(sys.argv[2])
r = random.Random(first)
for i in range(first, first + n):
    t = i // 10  # ten events per second of event time, in order
    print(json.dumps({"id": i, "k": r.choice("xyz"), "ts": "2024-01-01 00:%02d:%02d" % (t // 60 % 60, t % 60)}))
PY
}
gen 0 600 > "$T/a.jsonl"
kcat -P -b "$BS" -t ev -l "$T/a.jsonl"

cat > "$T/q.sql" <<SQL
CREATE SOURCE ev (id INT, k STRING, ts TIMESTAMP, partition INT, offset BIGINT, WATERMARK FOR ts AS ts - INTERVAL '10' MINUTE)
WITH (connector = 'kafka', 'bootstrap.servers' = '$BS', subscribe = 'ev',
      startingOffsets = 'earliest', maxOffsetsPerTrigger = '40', format = 'json');
CREATE SINK copy WITH (connector = 'file', path = '$T/copy', format = 'json',
                       checkpointLocation = '$T/ck/copy', trigger = 'availableNow') AS
SELECT partition, offset, id FROM ev;
CREATE SINK counts WITH (connector = 'file', path = '$T/counts', format = 'json',
                         checkpointLocation = '$T/ck/counts', outputMode = 'update',
                         trigger = 'availableNow') AS
SELECT k, window_start, count(*) AS n FROM ev GROUP BY k, window(ts, '10 seconds');
SQL

kills=0 runs=0
RANDOM=642
while [ $runs -lt 60 ]; do
    runs=$((runs + 1))
    rc=0
    SLUICE_CRASH_AT_STEP=$((1 + RANDOM % 40)) "$SK" run "$T/q.sql" >> "$T/log" 2>&1 || rc=$?
    [ $rc -eq 0 ] && break
    [ $rc -eq 137 ] || { tail -5 "$T/log"; echo "FAIL: run $runs ended with status $rc"; exit 1; }
    kills=$((kills + 1))
done
"$SK" run "$T/q.sql" --quiet >> "$T/log" 2>&1 || { tail -5 "$T/log"; echo "FAIL: finishing run"; exit 1; }
[ $kills -ge 5 ] || { echo "FAIL: only $kills kills landed"; exit 1; }

gen 600 300 > "$T/b.jsonl"
kcat -P -b "$BS" -t ev -l "$T/b.jsonl"
"$SK" run "$T/q.sql" > "$T/log2" 2>&1 || { tail -5 "$T/log2"; echo "FAIL: run after new messages"; exit 1; }
grep -q "resuming from checkpoint $T/ck/copy" "$T/log2" || { cat "$T/log2"; echo "FAIL: the last run did not resume"; exit 1; }

# Committed output only, through the sinks' manifests.
cat > "$T/read.sql" <<SQL
CREATE TABLE c (partition INT, offset BIGINT, id INT) WITH (connector = 'file', path = '$T/copy', format = 'json');
CREATE TABLE w (k STRING, window_start TIMESTAMP, n BIGINT) WITH (connector = 'file', path = '$T/counts', format = 'json');
CREATE SINK c_out WITH (connector = 'file', path = '$T/c_out', format = 'json') AS SELECT * FROM c;
CREATE SINK w_out WITH (connector = 'file', path = '$T/w_out', format = 'json') AS SELECT * FROM w;
SQL
"$SK" run "$T/read.sql" --quiet > "$T/read.log" 2>&1 || { cat "$T/read.log"; echo "FAIL: read back"; exit 1; }
cat "$T"/c_out/part-*.json > "$T/copy.txt"
cat "$T"/w_out/part-*.json > "$T/counts.txt"

$PY - "$T/a.jsonl" "$T/b.jsonl" "$T/copy.txt" "$T/counts.txt" <<'PY' || { echo "FAIL: output differs"; exit 1; }
import json, sys, collections, calendar, time
msgs = [json.loads(l) for f in sys.argv[1:3] for l in open(f)]
copy = [json.loads(l) for l in open(sys.argv[3])]
seen = collections.Counter((r["partition"], r["offset"]) for r in copy)
dups = [k for k, c in seen.items() if c > 1]
assert not dups, "duplicated offsets: %s" % dups[:5]
ids = sorted(r["id"] for r in copy)
assert ids == list(range(len(msgs))), "ids: %d copied of %d, missing %s" % (len(ids), len(msgs), sorted(set(range(len(msgs))) - set(ids))[:10])
per_part = collections.defaultdict(list)
for r in copy: per_part[r["partition"]].append(r["offset"])
for p, offs in per_part.items():
    offs.sort()
    assert offs == list(range(offs[0], offs[0] + len(offs))), "partition %d offsets not contiguous" % p
# update mode: the last row written for a window is its final count
def secs(s): return calendar.timegm(time.strptime(s[:19].replace("T", " "), "%Y-%m-%d %H:%M:%S"))
want = collections.Counter()
for m in msgs: t = secs(m["ts"]); want[(m["k"], t - t % 10)] += 1
got = {}
for l in open(sys.argv[4]):
    r = json.loads(l); key = (r["k"], secs(r["window_start"]))
    got[key] = max(got.get(key, 0), r["n"])
assert got == dict(want), "counts differ: %s" % sorted(set(got.items()) ^ set(want.items()))[:6]
print("%d messages copied exactly once, %d window counts equal" % (len(ids), len(got)))
PY

echo "ok: Kafka source across $kills SIGKILLs and a restart resumes at exact offsets, exactly once"
