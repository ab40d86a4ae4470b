#!/usr/bin/env bash
# The top-up service end to end (issue 9), on generated data and an embedded
# broker: examples/topup/train.sql trains the model, `sluice produce` replays
# the customers with their bureau rows in batches of 10-30 IDs, then
# examples/topup/pipeline.sql runs (its batch cap lowered from 128 to 8
# messages, nothing else changed). Then, independently of sluice:
#   - DuckDB reads the Parquet predictions; Python checks them against the
#     input CSVs: every (ID, ts, Top-up Month) is a customer's, ts lies in its
#     30-second window, no customer twice, and exactly the customers whose
#     window the final watermark closed are there;
#   - the Statewide_customer_count messages are JSON arrays of
#     {"State", "target_customers"}, one per batch that predicted a top-up
#     customer, and their counts per State equal the Parquet predictions of
#     the same batch (batches from the sink's manifests).
# Event time is the reference producer's pacing (20 customers per 5 s) given
# in the data, so the run takes seconds, not minutes.
# Not yet checked: the restart after kill -9 (waits for checkpoints in the
# driver).
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
N=1000

"$SLUICE" gen topup --customers $N --seed 11 --out "$T/data" --quiet
# The reference producer's event times: 20 customers every 5 seconds from
# 2022-10-13 21:58:18 UTC; a customer's bureau rows carry its ts.
"$PY" - "$T/data" <<'PY'
import csv, json, sys
d = sys.argv[1]
T0 = 1665698298
ts = {}
with open(f"{d}/customer.csv", newline="") as f, open(f"{d}/customer.jsonl", "w") as o:
    for i, r in enumerate(csv.DictReader(f)):
        ts[r["ID"]] = T0 + 5 * (i // 20)
        o.write(json.dumps(dict(r, ts=ts[r["ID"]])) + "\n")
with open(f"{d}/bureau.csv", newline="") as f, open(f"{d}/bureau.jsonl", "w") as o:
    for r in csv.DictReader(f):
        o.write(json.dumps(dict(r, ts=ts[r["ID"]])) + "\n")
PY

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

# pipeline.sql with 8 messages a batch instead of 128, so that the filled
# topics are read in several batches (and several Kafka messages); 'even'
# takes the next 8 in send order from both topics, which stay aligned.
PIPELINE=$T/pipeline.sql
sed "s/maxOffsetsPerTrigger = '128'/maxOffsetsPerTrigger = '8'/" "$ROOT/examples/topup/pipeline.sql" > "$PIPELINE"
[ "$(grep -c "maxOffsetsPerTrigger = '8'" "$PIPELINE")" -eq 2 ] || { echo "FAIL: pipeline.sql's batch cap not found"; exit 1; }
start_pipeline() {
    "$SLUICE" run "$PIPELINE" --var KAFKA="$BS" --var MODEL="$T/model" \
        --var OUT="$T/out" > "$T/run.out" 2> "$T/run.err" &
    run_pid=$!
    pids+=($run_pid)
}
# The topics are filled before the pipeline starts. Started first, its
# first plan could see the bureau topic a message or two ahead of the
# customer topic (the two are listed one after the other while the producer
# writes); the bureau rows then move the watermark past the first
# customers, which arrive late and are dropped — Spark's rule too (a source
# without data yet does not hold the global watermark back), so the
# expectation below (every customer of a closed window) would not hold.
# Restarts while producing are 811's test.
"$SLUICE" produce --bootstrap "$BS" --topic customer_data="$T/data/customer.jsonl" \
    --topic bureau_data="$T/data/bureau.jsonl" --group-by ID --batch 10-30 \
    --format json-array --interval 20ms 2> "$T/produce.err" ||
    { cat "$T/produce.err"; echo "FAIL: sluice produce"; exit 1; }
start_pipeline
total=$(( $(wc -l < "$T/data/customer.jsonl") + $(wc -l < "$T/data/bureau.jsonl") ))

# Await the pipeline's reading every produced row, then the batch after it
# (the no-data batch that closes what the last watermark allows).
rows_in() { awk '/^sluice: top_up_predictions batch/ { n += $5 } END { print n + 0 }' "$T/run.err"; }
batches() { grep -c '^sluice: top_up_predictions batch' "$T/run.err" || true; }
for _ in $(seq 600); do
    [ "$(rows_in)" -ge "$total" ] && break
    kill -0 $run_pid 2>/dev/null || { cat "$T/run.err"; echo "FAIL: the pipeline exited"; exit 1; }
    sleep 0.05
done
[ "$(rows_in)" -eq "$total" ] || { tail "$T/run.err"; echo "FAIL: pipeline read $(rows_in) rows, produced $total"; exit 1; }
b=$(batches)
for _ in $(seq 100); do [ "$(batches)" -gt "$b" ] && break; sleep 0.05; done
kill -TERM $run_pid
rc=0; wait $run_pid || rc=$?
[ $rc -eq 0 ] || { cat "$T/run.err"; echo "FAIL: the pipeline exited $rc after SIGTERM"; exit 1; }
grep -q '^sluice: top_up_predictions batch' "$T/run.err" || { cat "$T/run.err"; echo "FAIL: no progress"; exit 1; }
# The watermark the last batch ran with: every window ending by it is out.
wm=$(grep '^sluice: top_up_predictions batch' "$T/run.err" | tail -1 | sed 's/.*watermark //')

kcat -C -b "$BS" -t Statewide_customer_count -e -q -f '%k\t%s\n' > "$T/kafka.txt"

# DuckDB's reading of the Parquet output, each row with its file and row
# number in that file (to assign rows to batches through the manifests).
NODE_PATH=$ROOT/tests/oracle/node_modules node - "$T/out/top_up_predictions" > "$T/parquet.json" <<'JS'
const { DuckDBInstance } = require('@duckdb/node-api');
(async () => {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const dir = process.argv[2];
  const glob = `${dir}/*.parquet`.replace(/'/g, "''");
  const desc = await c.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${glob}')`);
  const schema = desc.getRowObjectsJson().map(r => [r.column_name, r.column_type]);
  const res = await c.runAndReadAll(`SELECT parse_filename(filename) AS file, file_row_number AS rn,
      "ID" AS id, epoch_us(window_start)::VARCHAR AS ws, epoch_us(window_end)::VARCHAR AS we,
      epoch_us(ts)::VARCHAR AS ts, prediction, "Top-up_Month" AS month
    FROM read_parquet('${glob}', filename = true, file_row_number = true)`);
  const rows = res.getRowObjectsJson();
  process.stdout.write(JSON.stringify({ schema, rows }));
})().catch(e => { console.error(e); process.exit(1); });
JS

"$PY" - "$T" "$wm" <<'PY'
import csv, json, os, sys, collections, datetime
T, wm_text = sys.argv[1], sys.argv[2]
fails = []
def check(c, m):
    if not c: fails.append(m)
T0 = 1665698298
cust = {}
with open(f"{T}/data/customer.csv", newline="") as f:
    for i, r in enumerate(csv.DictReader(f)):
        cust[r["ID"]] = (T0 + 5 * (i // 20), r["Top-up Month"], r["State"])
US = 1_000_000
wm = int(datetime.datetime.strptime(wm_text.strip(), "%Y-%m-%d %H:%M:%S")
         .replace(tzinfo=datetime.timezone.utc).timestamp())

pq = json.load(open(f"{T}/parquet.json"))
want_schema = [["ID", "VARCHAR"], ["window_start", "TIMESTAMP"], ["window_end", "TIMESTAMP"],
               ["ts", "TIMESTAMP"], ["prediction", "DOUBLE"], ["Top-up_Month", "VARCHAR"]]
check([[n, t.split(" ")[0]] for n, t in pq["schema"]] == want_schema
      or [[n, t] for n, t in pq["schema"]][:1] == [["ID", "VARCHAR"]] and
      [n for n, _ in pq["schema"]] == [n for n, _ in want_schema], f"schema {pq['schema']}")
rows = pq["rows"]
check(len(rows) > 0, "no predictions in the Parquet output")
seen = collections.Counter()
for r in rows:
    i = r["id"]
    if i not in cust:
        fails.append(f"ID {i} is not an input customer"); continue
    cts, month, _ = cust[i]
    ws, we, ts = int(r["ws"]), int(r["we"]), int(r["ts"])
    check(ts == cts * US, f"ID {i}: ts {ts} is not the customer's {cts * US}")
    check(ws <= ts <= we, f"ID {i}: ts {ts} outside its window [{ws}, {we}]")
    check(we - ws == 30 * US and ws % (30 * US) == 0, f"ID {i}: window [{ws}, {we}] is not a 30 s tumbling window")
    check(r["month"] == month, f"ID {i}: Top-up_Month {r['month']!r}, input {month!r}")
    check(r["prediction"] in (0.0, 1.0), f"ID {i}: prediction {r['prediction']}")
    seen[i] += 1
dups = [i for i, n in seen.items() if n > 1]
check(not dups, f"customers output twice: {dups[:5]}")
# Exactly the customers whose window the last batch's watermark closed.
closed = {i for i, (cts, _, _) in cust.items() if (cts - cts % 30 + 30) <= wm}
check(set(seen) == closed, f"output has {len(seen)} customers, the closed windows hold {len(closed)}; "
      f"missing {sorted(closed - set(seen))[:5]}, extra {sorted(set(seen) - closed)[:5]}")

# Rows per batch from the manifests (rows = a file's committed row count).
mdir = f"{T}/out/top_up_predictions/_sluice_metadata"
done = {}
batch_of = {}
for b in sorted(int(x) for x in os.listdir(mdir) if x.isdigit()):
    m = json.load(open(f"{mdir}/{b}"))
    for fe in m["files"]:
        for rn in range(done.get(fe["path"], 0), fe["rows"]):
            batch_of[(fe["path"], rn)] = b
        done[fe["path"]] = fe["rows"]
per_batch = collections.defaultdict(collections.Counter)
maxend = collections.defaultdict(int)
for r in rows:
    b = batch_of.get((r["file"], int(r["rn"])))
    if b is None:
        fails.append(f"row {r['file']}:{r['rn']} in no committed batch"); continue
    maxend[b] = max(maxend[b], int(r["we"]))
    if r["prediction"] == 1.0:
        per_batch[b][cust[r["id"]][2]] += 1
expect = [(b, per_batch[b]) for b in sorted(per_batch)]

msgs = []
for line in open(f"{T}/kafka.txt"):
    key, _, val = line.rstrip("\n").partition("\t")
    try:
        v = json.loads(val)
    except ValueError:
        fails.append(f"message value is not JSON: {val[:80]}"); continue
    ok = isinstance(v, list) and v and all(
        isinstance(o, dict) and set(o) == {"State", "target_customers"} and isinstance(o["State"], str)
        and isinstance(o["target_customers"], int) and o["target_customers"] > 0 for o in v)
    check(ok, f"message value not [{{State, target_customers}}, …]: {val[:120]}")
    try:
        k = int(datetime.datetime.strptime(key, "%Y-%m-%d %H:%M:%S")
                .replace(tzinfo=datetime.timezone.utc).timestamp()) * US
    except ValueError:
        fails.append(f"message key is not a timestamp: {key!r}"); k = None
    msgs.append((k, collections.Counter({o["State"]: o["target_customers"] for o in v}) if ok else None))
check(len(msgs) == len(expect), f"{len(msgs)} Kafka messages, {len(expect)} batches with target customers")
for (b, counts), (k, got) in zip(expect, msgs):
    check(got == counts, f"batch {b}: Kafka says {dict(got or {})}, Parquet has {dict(counts)}")
    check(k is not None and k <= maxend[b] and k % (30 * US) == 0,
          f"batch {b}: key {k} is not one of its window ends (max {maxend[b]})")
if fails:
    print("\n".join(fails[:20])); sys.exit(1)
print(f"{len(rows)} predictions ({sum(sum(c.values()) for _, c in expect)} target customers) "
      f"in {len(expect)} batches, {len(msgs)} Kafka messages")
PY
echo "ok: top-up service end to end (Parquet read by DuckDB, Kafka per-State counts per batch)"
