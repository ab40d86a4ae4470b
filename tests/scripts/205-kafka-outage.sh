#!/usr/bin/env bash
# A broker outage in the middle of a run: `sluice run` copies a topic in
# small batches (maxOffsetsPerTrigger); once the first rows are out, the
# embedded broker is taken down (SIGUSR1) for a while and brought back
# (SIGUSR2).  The query must wait it out and finish with every row exactly
# once in the sink topic.
set -eu
. "$(dirname "$0")/200-kafka-lib.sh"
start_broker "tx:2,copy"
N=3000
seq 0 $((N - 1)) | awk '{printf "{\"id\":%d,\"pad\":\"%s\"}\n", $1, "xxxxxxxxxxxxxxxxxxxxxxxx"}' > "$T/in.jsonl"
kcat -P -b "$BS" -t tx -l "$T/in.jsonl"
cat > "$T/q.sql" <<'SQL'
CREATE SOURCE tx (id INT, pad STRING)
WITH (connector = 'kafka', 'bootstrap.servers' = '${KAFKA}', subscribe = 'tx',
      startingOffsets = 'earliest', maxOffsetsPerTrigger = '50', format = 'json');
CREATE SINK copy
WITH (connector = 'kafka', 'bootstrap.servers' = '${KAFKA}', topic = 'copy',
      trigger = '50 milliseconds') AS
SELECT id FROM tx;
SQL
"$SK" run "$T/q.sql" --var KAFKA="$BS" --quiet > "$T/run.out" 2> "$T/run.err" &
RUN_PID=$!
stop_run() { kill "$RUN_PID" 2>/dev/null || true; }
trap 'rc=$?; stop_run; kafka_cleanup $rc' EXIT

# the first rows are out: the run is under way
"$SK" consume --bootstrap "$BS" --topic copy --max 100 --timeout 30s > "$T/first.txt"
[ "$(wc -l < "$T/first.txt")" -eq 100 ] || { cat "$T/run.err"; echo "FAIL: the run did not start"; exit 1; }

kill -USR1 "$BROKER_PID"
for _ in $(seq 200); do grep -q "sluice broker: down" "$T/broker.err" && break; sleep 0.05; done
grep -q "sluice broker: down" "$T/broker.err" || { echo "FAIL: broker did not go down"; exit 1; }
sleep 2   # the outage itself: the run keeps planning, reading and writing into it
kill -0 "$RUN_PID" || { cat "$T/run.err"; echo "FAIL: the run died during the outage"; exit 1; }
kill -USR2 "$BROKER_PID"

# every row arrives once the broker is back (awaited, bounded)
"$SK" consume --bootstrap "$BS" --topic copy --max $N --timeout 60s > "$T/all.txt"
# stop the run (it finishes its batch) and read the whole topic: a
# duplicate written at any time would be there
kill -INT "$RUN_PID"
wait "$RUN_PID" || true
"$SK" consume --bootstrap "$BS" --topic copy --timeout 1s > "$T/all.txt"
$PY - "$T/all.txt" "$N" <<'PY' || { tail -5 "$T/run.err"; echo "FAIL: rows lost or duplicated"; exit 1; }
import json, sys
ids = sorted(json.loads(l.split("\t", 1)[1])["id"] for l in open(sys.argv[1]))
n = int(sys.argv[2])
assert ids == list(range(n)), (len(ids), len(set(ids)))
PY
echo "ok: $N rows exactly once across a broker outage"
