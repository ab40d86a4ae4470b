#!/usr/bin/env bash
# End to end: JSON transactions produced with kcat into a 3-partition topic,
# `sluice run` of Kafka → filter → Kafka (availableNow, several batches via
# maxOffsetsPerTrigger), the sink topic read back with kcat.  Python computes
# the expected rows from the input it generated.
set -eu
. "$(dirname "$0")/200-kafka-lib.sh"
start_broker "tx:3,big"
$PY - > "$T/tx.jsonl" <<'PY'
import json, random
r = random.Random(11)
for i in range(3000):
    print(json.dumps({"name": r.choice(["Ann", "Bob", "Eve"]), "surname": r.choice(["Kim", "Ono"]),
                      "amount": round(r.uniform(0, 1000), 2), "delta_t": round(r.uniform(0, 9), 3),
                      "flag": r.randint(0, 1), "id": i}))
PY
kcat -P -b "$BS" -t tx -l "$T/tx.jsonl"
cat > "$T/q.sql" <<'SQL'
CREATE SOURCE tx (id INT, name STRING, surname STRING, amount DOUBLE, flag INT)
WITH (connector = 'kafka', 'bootstrap.servers' = '${KAFKA}', subscribe = 'tx',
      startingOffsets = 'earliest', maxOffsetsPerTrigger = '1000', format = 'json');

CREATE SINK big
WITH (connector = 'kafka', 'bootstrap.servers' = '${KAFKA}', topic = 'big',
      trigger = 'availableNow') AS
SELECT id, name, amount FROM tx WHERE amount > 500 AND flag = 1;
SQL
"$SK" run "$T/q.sql" --var KAFKA="$BS" --quiet > "$T/run.out" 2> "$T/run.err" ||
    { cat "$T/run.err"; echo "FAIL: sluice run"; exit 1; }
kcat -C -b "$BS" -t big -e -q -f '%s\n' > "$T/big.txt"
$PY - "$T/tx.jsonl" "$T/big.txt" <<'PY' || { echo "FAIL: sink topic differs"; exit 1; }
import json, sys
want = sorted((r["id"], r["name"], r["amount"]) for r in map(json.loads, open(sys.argv[1]))
              if r["amount"] > 500 and r["flag"] == 1)
got = sorted((r["id"], r["name"], r["amount"]) for r in map(json.loads, open(sys.argv[2])))
assert got == want, (len(got), len(want))
print(len(got), "rows")
PY
echo "ok: Kafka -> filter -> Kafka through sluice run"
