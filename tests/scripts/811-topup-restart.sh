#!/usr/bin/env bash
# The top-up service killed with SIGKILL several times while the producer
# runs, restarted each time from its checkpoints (examples/topup/pipeline.sql
# unchanged), resumes without duplicates and without losses: in the end the
# Parquet predictions hold each customer whose window the final watermark
# closed exactly once, and the Statewide_customer_count topic, read
# read_committed (the sink writes one transaction per batch), holds exactly
# one message per batch with target customers whose per-State counts equal
# that batch's Parquet rows — the same as one uninterrupted run would give.
# Expected rows come from the input CSVs, not from sluice.
#
# The producer starts first and the pipeline once both topics hold a
# message: a first batch that saw bureau rows but no customer yet would set
# the watermark from the bureau stream alone, and the customers of the next
# batch would fall behind it and be dropped as late (Spark's rule too), so
# "every customer of a closed window" would not be the right expectation.
# With both streams in the first batch the query watermark is the lower of
# the two from then on, and rows of the stream that lags (by a producer
# batch or two under load) are never behind it.
set -eu
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$ROOT/build}" "${SLUICE:=$BUILD/sluice}"
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "skip: $PY not installed"; exit 77; }
command -v kcat >/dev/null || { echo "skip: kcat not installed"; exit 77; }
command -v node >/dev/null || { echo "skip: node not installed"; exit 77; }
[ -d "$ROOT/tests/oracle/node_modules/@duckdb/node-api" ] || (cd "$ROOT/tests/oracle" && npm install --silent >/dev/null 2>&1) ||
    { echo "skip: @duckdb/node-api not installable"; exit 77; }
T=$(mktemp -d)
pids=()
cleanup() {
    local rc=$?
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; wait "${pids[i]}" 2>/dev/null || true; done  # last started first
    if grep -l Sanitizer "$T"/*.err 2>/dev/null; then cat "$T"/*.err; echo "FAIL: sanitizer report"; rc=1; fi
    rm -rf "$T"
    exit $rc
}
trap cleanup EXIT
N=1200
T0=1665698298

"$SLUICE" gen topup --customers $N --seed 23 --out "$T/data" --quiet
"$PY" - "$T/data" "$T0" <<'PY'
import csv, json, sys
d, T0 = sys.argv[1], int(sys.argv[2])
ts = {}
with open(f"{d}/customer.csv", newline="") as f, open(f"{d}/customer.jsonl", "w") as o:
    for i, r in enumerate(csv.DictReader(f)):
        ts[r["ID"]] = T0 + 5 * (i // 20)
        o.write(json.dumps(dict(r, ts=ts[r["ID"]])) + "\n")
with open(f"{d}/bureau.csv", newline="") as f, open(f"{d}/bureau.jsonl", "w") as o:
    for r in csv.DictReader(f):
        o.write(json.dumps(dict(r, ts=ts[r["ID"]])) + "\n")
PY
# The watermark once everything is read: the last ts minus 5 seconds.
FINAL_WM=$(date -u -d "@$((T0 + 5 * ((N - 1) / 20) - 5))" '+%Y-%m-%d %H:%M:%S')

if ! "$SLUICE" run "$ROOT/examples/topup/train.sql" --var DATA="$T/data" --var MODEL="$T/model" \
        --quiet > /dev/null 2> "$T/train.err"; then
    if grep -q "CREATE MODEL is not available" "$T/train.err"; then
        echo "skip: CREATE MODEL is not wired into SQL in this build yet"; exit 77
    fi
    cat "$T/train.err"; echo "FAIL: training (examples/topup/train.sql)"; exit 1
fi

"$SLUICE" broker --topics customer_data:1,bureau_data:4,Statewide_customer_count:1 \
    --port-file "$T/port" > /dev/null 2> "$T/broker.err" &
pids+=($!)
for _ in $(seq 200); do [ -s "$T/port" ] && break; sleep 0.05; done
[ -s "$T/port" ] || { cat "$T/broker.err"; echo "FAIL: broker wrote no port file"; exit 1; }
BS=$(cat "$T/port")

run=0
start_pipeline() {
    run=$((run + 1))
    "$SLUICE" run "$ROOT/examples/topup/pipeline.sql" --var KAFKA="$BS" --var MODEL="$T/model" \
        --var OUT="$T/out" > /dev/null 2> "$T/run$run.err" &
    run_pid=$!
    pids+=($run_pid)
}
"$SLUICE" produce --bootstrap "$BS" --topic customer_data="$T/data/customer.jsonl" \
    --topic bureau_data="$T/data/bureau.jsonl" --group-by ID --batch 10-30 \
    --format json-array --interval 150ms 2> "$T/produce.err" &
prod_pid=$!
pids+=($prod_pid)
has_message() { [ -n "$(kcat -C -b "$BS" -t "$1" -o beginning -e -q -c 1 2>/dev/null)" ]; }
for _ in $(seq 500); do
    has_message customer_data && has_message bureau_data && break
    sleep 0.02
done
has_message customer_data && has_message bureau_data ||
    { cat "$T/produce.err"; echo "FAIL: the producer wrote nothing in 10 s"; exit 1; }

start_pipeline
# Until its first batch (or its exit, for the skips below).
for _ in $(seq 200); do
    kill -0 $run_pid 2>/dev/null || break
    grep -q '^sluice: top_up_predictions batch' "$T/run1.err" && break
    sleep 0.05
done
if ! kill -0 $run_pid 2>/dev/null; then
    if grep -q "cannot be checkpointed yet" "$T/run1.err"; then
        echo "skip: this build cannot checkpoint the pipeline's join yet"; exit 77
    fi
    cat "$T/run1.err"; echo "FAIL: the pipeline exited at start"; exit 1
fi

# Kill -9 after a few batches each time (a batch is what can be torn), then
# restart from the checkpoints; the last run goes on to the end.  The
# producer's ~60 batches, 150 ms apart, last about as long as the four
# kills; once it is done a restarted run reads the rest in a batch or two,
# so it is killed after its first.
kills=0
committed() { grep -c '^sluice: top_up_predictions batch' "$T/run$run.err" || true; }
for k in 1 2 3 4; do
    want=$(( (RANDOM % 4) + 2 ))
    for _ in $(seq 3000); do
        [ "$(committed)" -ge "$want" ] && break
        kill -0 $prod_pid 2>/dev/null || [ "$(committed)" -eq 0 ] || break
        kill -0 $run_pid 2>/dev/null || { cat "$T/run$run.err"; echo "FAIL: run $run exited"; exit 1; }
        sleep 0.02
    done
    sleep "0.0$((RANDOM % 10))"    # anywhere in the next batch or between two
    kill -KILL $run_pid; wait $run_pid 2>/dev/null || true
    kills=$((kills + 1))
    start_pipeline
done
wait $prod_pid || { cat "$T/produce.err"; echo "FAIL: sluice produce"; exit 1; }
# Await the batch that runs with the final watermark: it closes every
# window that can close. It may have been committed by a run killed after
# it, so every run's log counts.
# Bounded by 180 s, not by the machine's speed: a loaded machine replays
# slowly after the last restart.
for _ in $(seq 9000); do
    grep -q "^sluice: top_up_predictions batch .*watermark $FINAL_WM" "$T"/run*.err && break
    kill -0 $run_pid 2>/dev/null || { cat "$T/run$run.err"; echo "FAIL: run $run exited"; exit 1; }
    sleep 0.02
done
grep -q "^sluice: top_up_predictions batch .*watermark $FINAL_WM" "$T"/run*.err ||
    { tail -3 "$T/run$run.err"; echo "FAIL: the final watermark $FINAL_WM was never reached"; exit 1; }
for _ in $(seq 3000); do
    grep -q "^sluice: statewide_customer_count batch .*watermark $FINAL_WM" "$T"/run*.err && break; sleep 0.02
done
# When everything was read before the last kill, the last run may be only
# milliseconds old here: a SIGTERM before its handlers are set ends it with
# 143. It logs "resuming from checkpoint" once it is past that.
for _ in $(seq 3000); do
    grep -q '^sluice: sink .*resuming from checkpoint' "$T/run$run.err" && break; sleep 0.02
done
kill -TERM $run_pid
rc=0; wait $run_pid || rc=$?
[ $rc -eq 0 ] || { cat "$T/run$run.err"; echo "FAIL: the last run exited $rc after SIGTERM"; exit 1; }

kcat -C -b "$BS" -t Statewide_customer_count -X isolation.level=read_committed -e -q \
    -f '%k\t%s\n' > "$T/kafka.txt"
NODE_PATH=$ROOT/tests/oracle/node_modules node - "$T/out/top_up_predictions" > "$T/parquet.json" <<'JS'
const { DuckDBInstance } = require('@duckdb/node-api');
(async () => {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const glob = `${process.argv[2]}/*.parquet`.replace(/'/g, "''");
  const res = await c.runAndReadAll(`SELECT parse_filename(filename) AS file, file_row_number AS rn,
      "ID" AS id, epoch_us(window_start)::VARCHAR AS ws, epoch_us(ts)::VARCHAR AS ts, prediction
    FROM read_parquet('${glob}', filename = true, file_row_number = true)`);
  process.stdout.write(JSON.stringify(res.getRowObjectsJson()));
})().catch(e => { console.error(e); process.exit(1); });
JS

"$PY" - "$T" "$T0" "$FINAL_WM" "$kills" <<'PY'
import csv, json, os, sys, collections, datetime
T, T0, wm_text, kills = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
US = 1_000_000
wm = int(datetime.datetime.strptime(wm_text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=datetime.timezone.utc).timestamp())
cust = {}
with open(f"{T}/data/customer.csv", newline="") as f:
    for i, r in enumerate(csv.DictReader(f)):
        cust[r["ID"]] = (T0 + 5 * (i // 20), r["State"])
fails = []
rows = json.load(open(f"{T}/parquet.json"))
seen = collections.Counter(r["id"] for r in rows)
dups = sorted(i for i, n in seen.items() if n > 1)
if dups: fails.append(f"{len(dups)} customers written more than once, e.g. {dups[:5]}")
closed = {i for i, (t, _) in cust.items() if t - t % 30 + 30 <= wm}
if set(seen) != closed:
    fails.append(f"lost {sorted(closed - set(seen))[:5]} ({len(closed - set(seen))}), "
                 f"extra {sorted(set(seen) - closed)[:5]}")
for r in rows:
    if r["id"] in cust and int(r["ts"]) != cust[r["id"]][0] * US:
        fails.append(f"ID {r['id']}: ts {r['ts']}"); break
# Batches from the manifests, then per-State counts per batch vs the topic.
mdir = f"{T}/out/top_up_predictions/_sluice_metadata"
done, batch_of = {}, {}
for b in sorted(int(x) for x in os.listdir(mdir) if x.isdigit()):
    for fe in json.load(open(f"{mdir}/{b}"))["files"]:
        for rn in range(done.get(fe["path"], 0), fe["rows"]):
            batch_of[(fe["path"], rn)] = b
        done[fe["path"]] = fe["rows"]
per_batch = collections.defaultdict(collections.Counter)
for r in rows:
    b = batch_of.get((r["file"], int(r["rn"])))
    if b is None: fails.append(f"row {r['file']}:{r['rn']} in no committed batch"); break
    if r["prediction"] == 1.0: per_batch[b][cust[r["id"]][1]] += 1
expect = [per_batch[b] for b in sorted(per_batch)]
msgs = [collections.Counter({o["State"]: o["target_customers"] for o in json.loads(l.split("\t", 1)[1])})
        for l in open(f"{T}/kafka.txt") if l.strip()]
if msgs != expect:
    fails.append(f"{len(msgs)} committed Kafka messages for {len(expect)} batches with target customers"
                 + ("" if len(msgs) != len(expect) else "; per-State counts differ"))
if fails:
    print("FAIL: " + "\n".join(fails)); sys.exit(1)
print(f"{kills} kills: {len(rows)} predictions, each customer once; {len(msgs)} Kafka messages match their batches")
PY
echo "ok: the top-up service restarted after kill -9 resumes without duplicates or losses"
