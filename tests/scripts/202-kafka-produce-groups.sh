#!/usr/bin/env bash
# `sluice produce` as the reference's Step 1: customer and bureau files
# replayed as JSON arrays, each batch holding the rows of 2–4 consecutive
# IDs, both topics covering the same IDs batch by batch, every row stamped
# with the send time.  Python checks the messages kcat reads against the
# input files.
set -eu
. "$(dirname "$0")/200-kafka-lib.sh"
start_broker "customer_data,bureau_data"
R=$ROOT/../shared/reference/ltfs_sample
[ -f "$R/test_customers.csv" ] || R=/work/shared/reference/ltfs_sample
[ -f "$R/test_customers.csv" ] || { echo "skip: reference sample data not found"; exit 77; }
head -61 "$R/test_customers.csv" > "$T/cust.csv"
head -61 "$R/test_bureau_sums.csv" > "$T/bur.csv"
t0=$(date +%s)
"$SK" produce --bootstrap "$BS" --topic customer_data="$T/cust.csv" \
    --topic bureau_data="$T/bur.csv" --group-by ID --batch 2-4 --format json-array --ts now
t1=$(date +%s)
kcat -C -b "$BS" -t customer_data -e -q -f '%s\n' > "$T/c.txt"
kcat -C -b "$BS" -t bureau_data -e -q -f '%s\n' > "$T/b.txt"
$PY - "$T/cust.csv" "$T/bur.csv" "$T/c.txt" "$T/b.txt" "$t0" "$t1" <<'PY' || { echo "FAIL: grouped batches"; exit 1; }
import csv, json, sys
cust = list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig")))
bur_ids = [r[0] for r in csv.reader(open(sys.argv[2], encoding="utf-8-sig"))][1:]
c = [json.loads(l) for l in open(sys.argv[3])]
b = [json.loads(l) for l in open(sys.argv[4])]
t0, t1 = int(sys.argv[5]), int(sys.argv[6])
assert len(c) == len(b) and len(c) > 1, (len(c), len(b))
sent = []
for cm, bm in zip(c, b):
    ids = [r["ID"] for r in cm]
    groups = list(dict.fromkeys(ids))
    assert 2 <= len(groups) <= 4 or cm is c[-1], groups
    assert groups == list(dict.fromkeys(r["ID"] for r in bm)), "bureau batch covers other IDs"
    for r in cm + bm:
        assert t0 <= r["ts"] <= t1, r["ts"]
    sent += [{k: v for k, v in r.items() if k != "ts"} for r in cm]
assert sent == cust, "customer rows differ from the file"
assert [r["ID"] for m in b for r in m] == bur_ids, "bureau rows differ from the file"
PY
echo "ok: $(wc -l < "$T/c.txt") batches of 2-4 IDs, customer and bureau aligned"
