#!/usr/bin/env bash
# The reference's message shapes end to end: `sluice produce` sends the
# customer file as JSON arrays of 1–5 ID groups (with ts), `sluice run`
# explodes them into rows (format = 'json') and writes each micro-batch back
# as one JSON array (format = 'json-array'); kcat reads the sink topic and
# Python checks that the arrays hold exactly the customers of the CSV.
set -eu
. "$(dirname "$0")/200-kafka-lib.sh"
start_broker "customer_data,arrays"
R=/work/shared/reference/ltfs_sample
[ -f "$ROOT/../shared/reference/ltfs_sample/test_customers.csv" ] && R=$ROOT/../shared/reference/ltfs_sample
[ -f "$R/test_customers.csv" ] || { echo "skip: reference sample data not found"; exit 77; }
head -201 "$R/test_customers.csv" > "$T/cust.csv"
"$SK" produce --bootstrap "$BS" --topic customer_data="$T/cust.csv" --group-by ID --batch 1-5 \
    --format json-array --ts now
cat > "$T/q.sql" <<'SQL'
CREATE SOURCE customers ("ID" STRING, "State" STRING, "AGE" STRING, ts TIMESTAMP)
WITH (connector = 'kafka', 'bootstrap.servers' = '${KAFKA}', subscribe = 'customer_data',
      startingOffsets = 'earliest', maxOffsetsPerTrigger = '10', format = 'json');
CREATE SINK arrays
WITH (connector = 'kafka', 'bootstrap.servers' = '${KAFKA}', topic = 'arrays',
      format = 'json-array', trigger = 'availableNow') AS
SELECT "ID", "State", "AGE" FROM customers;
SQL
"$SK" run "$T/q.sql" --var KAFKA="$BS" --quiet > /dev/null 2> "$T/run.err" ||
    { cat "$T/run.err"; echo "FAIL: sluice run"; exit 1; }
kcat -C -b "$BS" -t arrays -e -q -f '%s\n' > "$T/arrays.txt"
$PY - "$T/cust.csv" "$T/arrays.txt" <<'PY' || { echo "FAIL: arrays differ from the CSV"; exit 1; }
import csv, json, sys
want = sorted((r["ID"], r["State"], r["AGE"]) for r in csv.DictReader(open(sys.argv[1], encoding="utf-8-sig")))
msgs = [json.loads(l) for l in open(sys.argv[2])]
assert len(msgs) >= 2 and all(isinstance(m, list) and m for m in msgs), "not one array per batch"
got = sorted((r["ID"], r["State"], r["AGE"]) for m in msgs for r in m)
assert got == want, (len(got), len(want))
print(len(msgs), "arrays,", len(got), "rows")
PY
echo "ok: JSON arrays in, rows through sluice run, JSON arrays out"
