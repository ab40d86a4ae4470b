#!/usr/bin/env bash
# The top-up service at full size (issue 9's benchmark): 128,655 generated
# customers with their ~965,000 bureau rows replayed from the embedded broker
# through examples/topup/pipeline.sql (unchanged), as fast as it goes.
#
#   sluice    `sluice produce` first fills the topics (its time is printed
#             but not counted); then the pipeline — JSON parse, casts, digit
#             stripping, 30-second windowed aggregation per ID, interval
#             join, predict, Parquet and Kafka sinks — is timed from its
#             start until it has read every row and run the batch after (the
#             one that closes what the last watermark allows). Peak RSS is
#             the pipeline's VmHWM. It runs pinned to one core
#             (taskset -c 0), the broker on the others.
#   duckdb    reference, same run: DuckDB (node @duckdb/node-api) doing the
#             batch version over the same CSVs — the same casts and digit
#             stripping, the per-ID aggregation (sum, approx_count_distinct),
#             the join with the customers, and the count per State — on one
#             thread.
#
# Event time is the reference producer's pacing written into the data (20
# customers per 5 seconds, ~9 hours of event time). The mock broker keeps
# only ~5 MB per partition, hence 64 and 512 partitions (a fuller one would
# silently lose its oldest messages: at 128 bureau partitions the first
# offsets were gone) for the ~490 MB of JSON. `sluice produce` writes them
# round-robin and pipeline.sql reads 128 messages a batch from each topic
# ('maxOffsetsPerTrigger.split' = 'even'), about 2,500 customers, so the
# backlog runs as ~50 batches of bounded size.
#
#   bench/topup.sh [CUSTOMERS]      (default 128655)
# Environment: MODEL (a model instead of training one), BENCH_PIPELINE.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SLUICE=${SLUICE:-$BUILD/sluice}
N=${1:-128655}
PIPELINE=${BENCH_PIPELINE:-$ROOT/examples/topup/pipeline.sql}
PY=/usr/bin/python3
T=$(mktemp -d)
pids=()
# The pipelines before the broker (started first): a pipeline stopped
# mid-batch finishes it, which without a broker waits out outageTimeout.
cleanup() {
    local i
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill "${pids[i]}" 2>/dev/null || true; wait "${pids[i]}" 2>/dev/null || true
    done
    rm -rf "$T"
}
trap cleanup EXIT
command -v node >/dev/null || { echo "node not installed"; exit 1; }
[ -d "$ROOT/tests/oracle/node_modules/@duckdb/node-api" ] || (cd "$ROOT/tests/oracle" && npm install --silent >/dev/null 2>&1)
PIN0= PIN1=
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then PIN0="taskset -c 0"; PIN1="taskset -c 1-$(($(nproc) - 1))"; fi

echo "preparing $N customers (not timed)" >&2
"$SLUICE" gen topup --customers "$N" --seed 42 --out "$T/data" --quiet
"$PY" - "$T/data" <<'PY'
import csv, json, sys
d = sys.argv[1]
T0 = 1665698298          # 2022-10-13 21:58:18 UTC, the reference's first batch
ts = {}
with open(f"{d}/customer.csv", newline="") as f, open(f"{d}/customer.jsonl", "w") as o:
    for i, r in enumerate(csv.DictReader(f)):
        ts[r["ID"]] = T0 + 5 * (i // 20)
        r["ts"] = ts[r["ID"]]
        o.write(json.dumps(r) + "\n")
with open(f"{d}/bureau.csv", newline="") as f, open(f"{d}/bureau.jsonl", "w") as o:
    for r in csv.DictReader(f):
        r["ts"] = ts[r["ID"]]
        o.write(json.dumps(r) + "\n")
# The same rows as files of 2,560 customers each (about the 128 messages of
# a Kafka batch), for the run over files with maxFilesPerTrigger = 1.
import os
chunk = {i: n // 2560 for n, i in enumerate(ts)}
for name in ("customer", "bureau"):
    os.makedirs(f"{d}/{name}", exist_ok=True)
    outs = {}
    with open(f"{d}/{name}.jsonl") as f:
        for line in f:
            c = chunk[json.loads(line)["ID"]]
            if c not in outs:
                outs[c] = open(f"{d}/{name}/part-{c:05d}.jsonl", "w")
            outs[c].write(line)
    now = int(os.path.getmtime(f"{d}/{name}.jsonl"))
    for c in sorted(outs):   # the file source reads oldest first
        outs[c].close()
        os.utime(outs[c].name, (now + c, now + c))
PY
if [ -n "${MODEL:-}" ]; then
    MODEL_PATH=$MODEL
else
    MODEL_PATH=$T/model
    "$SLUICE" run "$ROOT/examples/topup/train.sql" --var DATA="$T/data" --var MODEL="$MODEL_PATH" --quiet
fi
total=$(( $(wc -l < "$T/data/customer.jsonl") + $(wc -l < "$T/data/bureau.jsonl") ))
bytes=$(( $(stat -c %s "$T/data/customer.jsonl") + $(stat -c %s "$T/data/bureau.jsonl") ))

$PIN1 "$SLUICE" broker --topics customer_data:64,bureau_data:512,Statewide_customer_count:1 \
    --port-file "$T/port" > /dev/null 2> "$T/broker.err" &
pids+=($!)
for _ in $(seq 200); do [ -s "$T/port" ] && break; sleep 0.05; done
BS=$(cat "$T/port")

# Step 1, not part of the pipeline's time: the producer fills the topics.
tp0=$(date +%s.%N)
$PIN1 "$SLUICE" produce --bootstrap "$BS" --topic customer_data="$T/data/customer.jsonl" \
    --topic bureau_data="$T/data/bureau.jsonl" --group-by ID --batch 10-30 --format json-array \
    2> "$T/produce.err" || { cat "$T/produce.err"; echo "producer failed"; exit 1; }
tp=$(date +%s.%N)

# Step 2, timed: the pipeline from its start until it has read every row
# and run the batch after (the one that closes what the last watermark
# allows). time_pipeline SQL LOG sets secs, hwm (kB) and cpu (s).
time_pipeline() {
    local sql=$1 log=$2 t0 t1 r last=-1 since=$SECONDS
    rows_in() { awk '/^sluice: top_up_predictions batch/ { n += $5 } END { print n + 0 }' "$log"; }
    # 1 once a batch after the one that read the last row is logged (the
    # two can land between polls: counting batches from the poll that saw
    # the last row then waited for one batch too many).
    finished() {
        awk -v t="$total" 'BEGIN { k = -1 } /^sluice: top_up_predictions batch/ {
            n += $5; if (k < 0 && n >= t) k = $4 + 0; last = $4 + 0 }
            END { print (k >= 0 && last > k) ? 1 : 0 }' "$log"
    }
    rm -rf "$T/out"
    : > "$log"
    t0=$(date +%s.%N)
    $PIN0 "$SLUICE" run "$sql" --var KAFKA="$BS" --var MODEL="$MODEL_PATH" --var OUT="$T/out" \
        > /dev/null 2> "$log" &
    run_pid=$!
    pids+=($run_pid)
    while [ "$(finished)" = 0 ]; do
        kill -0 $run_pid 2>/dev/null || { tail -5 "$log"; echo "the pipeline exited"; exit 1; }
        r=$(rows_in)
        [ "$r" != "$last" ] && { last=$r; since=$SECONDS; }
        # A batch (~2,500 customers) takes a second; a minute on a loaded machine.
        [ $((SECONDS - since)) -lt 300 ] || { echo "the pipeline read $r of $total rows and stalled"; exit 1; }
        sleep 0.02
    done
    t1=$(date +%s.%N)
    hwm=$(awk '/^VmHWM/ { print $2 }' /proc/$run_pid/status)
    cpu=$(awk '{ print ($14 + $15) / 100 }' /proc/$run_pid/stat)
    kill -TERM $run_pid; wait $run_pid || true
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
}
# The same pipeline with its two Kafka sources replaced by the JSON-lines
# files (everything else unchanged): the engine's share without the broker,
# one file of each directory a batch.
"$PY" - "$PIPELINE" "$T/data" > "$T/pipeline_files.sql" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
for topic, f in (("customer_data", "customer"), ("bureau_data", "bureau")):
    s, n = re.subn(r"WITH \(connector = 'kafka',[^;]*?subscribe = '%s'[^;]*?\);" % topic,
                   "WITH (connector = 'file', path = '%s/%s', format = 'json', maxFilesPerTrigger = '1');" % (sys.argv[2], f), s)
    assert n == 1, topic
print(s)
PY
time_pipeline "$T/pipeline_files.sql" "$T/files.err"
f_secs=$secs f_hwm=$hwm f_cpu=$cpu
time_pipeline "$PIPELINE" "$T/run.err"
e_secs=$secs
batches=$(grep -c '^sluice: top_up_predictions batch' "$T/run.err" || true)
preds=$(cat "$T"/out/top_up_predictions/_sluice_metadata/* 2>/dev/null |
        "$PY" -c 'import sys, json
last = {}
for l in sys.stdin:
    for f in json.loads(l)["files"]: last[f["path"]] = max(last.get(f["path"], 0), f["rows"])
print(sum(last.values()))')

# The reference: DuckDB's batch version of the same work on one thread.
NODE_PATH=$ROOT/tests/oracle/node_modules node - "$T/data" > "$T/duck.txt" <<'JS'
const { DuckDBInstance } = require('@duckdb/node-api');
(async () => {
  const d = process.argv[2];
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const c = await db.connect();
  const t0 = process.hrtime.bigint();
  const res = await c.runAndReadAll(`
    WITH bu AS (
      SELECT "ID",
        CAST(CASE "SELF-INDICATOR" WHEN 'TRUE' THEN '1' WHEN 'FALSE' THEN '0' ELSE "SELF-INDICATOR" END AS INT) AS si,
        TRY_CAST(regexp_replace("DISBURSED-AMT/HIGH CREDIT", '[^0-9]', '', 'g') AS INT) AS dis,
        TRY_CAST(regexp_replace("INSTALLMENT-AMT", '[^0-9]', '', 'g') AS INT) AS inst,
        TRY_CAST(regexp_replace("CURRENT-BAL", '[^0-9]', '', 'g') AS INT) AS cur,
        TRY_CAST(regexp_replace("OVERDUE-AMT", '[^0-9]', '', 'g') AS INT) AS ovd,
        TRY_CAST("WRITE-OFF-AMT" AS INT) AS wo, *
      FROM read_csv('${d}/bureau.csv', header = true, all_varchar = true)),
    g AS (
      SELECT "ID", sum(si) s1, sum(dis) s2, sum(inst) s3, sum(cur) s4, sum(ovd) s5, sum(wo) s6,
        approx_count_distinct("MATCH-TYPE") d1, approx_count_distinct("ACCT-TYPE") d2,
        approx_count_distinct("CONTRIBUTOR-TYPE") d3, approx_count_distinct(TRY_CAST("DATE-REPORTED" AS TIMESTAMP)) d4,
        approx_count_distinct("OWNERSHIP-IND") d5, approx_count_distinct("ACCOUNT-STATUS") d6,
        approx_count_distinct(TRY_CAST("DISBURSED-DT" AS TIMESTAMP)) d7, approx_count_distinct(TRY_CAST("CLOSE-DT" AS TIMESTAMP)) d8,
        approx_count_distinct(TRY_CAST("LAST-PAYMENT-DATE" AS TIMESTAMP)) d9, approx_count_distinct("CREDIT-LIMIT/SANC AMT") d10,
        approx_count_distinct("INSTALLMENT-FREQUENCY") d11, approx_count_distinct("ASSET_CLASS") d12,
        approx_count_distinct("REPORTED DATE - HIST") d13, approx_count_distinct("DPD - HIST") d14,
        approx_count_distinct("CUR BAL - HIST") d15, approx_count_distinct("AMT OVERDUE - HIST") d16,
        approx_count_distinct("AMT PAID - HIST") d17, approx_count_distinct("TENURE") d18
      FROM bu GROUP BY "ID"),
    j AS (
      SELECT g.*, c."State", c."Top-up Month",
        TRY_CAST(c."AssetCost" AS INT) ac, TRY_CAST(c."EMI" AS DOUBLE) emi
      FROM g JOIN read_csv('${d}/customer.csv', header = true, all_varchar = true) c ON c."ID" = g."ID")
    SELECT "State", count(*) AS n, sum(s2) AS s FROM j GROUP BY "State"`);
  const rows = res.getRows();
  const t1 = process.hrtime.bigint();
  console.log(`${Number(t1 - t0) / 1e9} ${rows.length} ${rows.reduce((a, r) => a + Number(r[1]), 0)}`);
})().catch(e => { console.error(e); process.exit(1); });
JS
read -r dsec dstates drows < "$T/duck.txt"

awk -v e="$e_secs" -v fs="$f_secs" -v fh="$f_hwm" -v fc="$f_cpu" -v tp="$tp" -v tp0="$tp0" -v hwm="$hwm" -v cpu="$cpu" -v total="$total" \
    -v bytes="$bytes" -v batches="$batches" -v preds="$preds" -v dsec="$dsec" -v drows="$drows" -v n="$N" 'BEGIN {
    printf "topup: %d customers, %d rows (%.0f MB of JSON) through the broker\n", n, total, bytes / 1e6
    printf "  producer (not in the figure): %.2f s to fill the topics\n", tp - tp0
    printf "  sluice  pipeline end to end %.2f s, CPU %.2f s, %.0f rows/s, peak RSS %.0f MB; %d batches, %d predictions\n",
        e, cpu, total / e, hwm / 1024, batches, preds
    printf "  sluice  the same pipeline reading the JSON-lines files instead of Kafka: %.2f s, CPU %.2f s, peak RSS %.0f MB\n",
        fs, fc, fh / 1024
    printf "  duckdb  batch join+aggregation over the CSVs, 1 thread: %.2f s (%d customers joined)\n", dsec, drows
    printf "  target  < 10 s and < 300 MB: %s\n", (e < 10 && hwm / 1024 < 300) ? "met" : "NOT met"
}'
