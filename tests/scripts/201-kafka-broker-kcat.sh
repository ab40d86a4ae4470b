#!/usr/bin/env bash
# The embedded broker speaks Kafka to kcat: kcat produces, `sluice consume`
# reads exactly those messages; `sluice produce` writes CSV rows as JSON
# objects of strings, which kcat reads back and Python checks against the
# CSV (parsed by Python's csv module, not by sluice).
set -eu
. "$(dirname "$0")/200-kafka-lib.sh"
start_broker "a:2,b"
grep -qx "$BS" "$T/broker.out" || { echo "FAIL: broker did not print its address"; exit 1; }

# kcat → sluice consume (two partitions, keyed)
for i in $(seq 1 20); do echo "k$i:v$i"; done > "$T/in.txt"
kcat -P -b "$BS" -t a -K: -l "$T/in.txt"
"$SK" consume --bootstrap "$BS" --topic a --max 20 > "$T/got.txt"
sort "$T/got.txt" > "$T/got.sorted"
tr ':' '\t' < "$T/in.txt" | sort > "$T/want.sorted"
diff "$T/want.sorted" "$T/got.sorted" || { echo "FAIL: consume differs from what kcat produced"; exit 1; }

# --timeout ends an idle consume; --format json
"$SK" consume --bootstrap "$BS" --topic a --timeout 1s --format json > "$T/got.json"
$PY - "$T/got.json" <<'PY' || { echo "FAIL: consume --format json"; exit 1; }
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 20, len(rows)
assert sorted((r["key"], r["value"]) for r in rows) == sorted(("k%d" % i, "v%d" % i) for i in range(1, 21))
assert {r["partition"] for r in rows} <= {0, 1}
PY

# sluice produce (CSV, quoted fields, BOM) → kcat
printf '\xef\xbb\xbfID,name,note\n1,Ann,"x, y"\n2,Bob,"say ""hi"""\n3,,plain\n' > "$T/p.csv"
"$SK" produce --bootstrap "$BS" --topic b "$T/p.csv"
kcat -C -b "$BS" -t b -e -q -f '%s\n' > "$T/b.txt"
$PY - "$T/p.csv" "$T/b.txt" <<'PY' || { echo "FAIL: produce CSV rows"; exit 1; }
import csv, json, sys
want = list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig")))
got = [json.loads(l) for l in open(sys.argv[2])]
assert got == want, (got, want)
PY
# --port: a fixed bootstrap port relayed to the broker (a free one here)
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$SK" broker --port "$PORT" --topics f > "$T/fixed.out" 2>&1 &
FIXED_PID=$!
trap 'rc=$?; kill $FIXED_PID 2>/dev/null; kafka_cleanup $rc' EXIT
for _ in $(seq 200); do [ -s "$T/fixed.out" ] && break; sleep 0.05; done
grep -qx "127.0.0.1:$PORT" "$T/fixed.out" || { cat "$T/fixed.out"; echo "FAIL: --port address"; exit 1; }
seq 1 7 | kcat -P -b "127.0.0.1:$PORT" -t f
"$SK" consume --bootstrap "127.0.0.1:$PORT" --topic f --max 7 | cut -f2 | sort -n > "$T/f.txt"
seq 1 7 | diff - "$T/f.txt" || { echo "FAIL: through --port"; exit 1; }
echo "ok: kcat and sluice produce/consume agree through the embedded broker"
