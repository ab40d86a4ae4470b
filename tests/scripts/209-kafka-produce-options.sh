#!/usr/bin/env bash
# `sluice produce` and `sluice consume` options not covered by 201/202/206
# (issue 5): JSON-lines input; --loop with --max-batches (the file replayed
# from the start, the count exact); --format json-array with --batch N (one
# array of N rows a message, the last one shorter); --interval and --rate
# deliver everything (their pacing is not timed here); `consume
# --from-end` sees only messages produced after it started, `--max N` stops
# after N.  kcat reads what produce wrote; Python checks it against the input.
set -eu
. "$(dirname "$0")/200-kafka-lib.sh"
start_broker "loop,arr,paced,tail"
$PY -c 'import json
for i in range(10): print(json.dumps({"id": i, "name": "n%d" % i}))' > "$T/rows.jsonl"

"$SK" produce --bootstrap "$BS" --topic loop "$T/rows.jsonl" --loop --batch 1 --max-batches 25 > /dev/null 2> "$T/p1.err" ||
    { cat "$T/p1.err"; echo "FAIL: produce --loop"; exit 1; }
"$SK" produce --bootstrap "$BS" --topic arr "$T/rows.jsonl" --format json-array --batch 3 > /dev/null 2> "$T/p2.err" ||
    { cat "$T/p2.err"; echo "FAIL: produce --format json-array"; exit 1; }
"$SK" produce --bootstrap "$BS" --topic paced "$T/rows.jsonl" --batch 2 --interval 20ms --rate 500 > /dev/null 2> "$T/p3.err" ||
    { cat "$T/p3.err"; echo "FAIL: produce --interval --rate"; exit 1; }
for t in loop arr paced; do kcat -C -b "$BS" -t $t -e -q -f '%s\n' > "$T/$t.txt"; done
$PY - "$T" <<'PY' || { echo "FAIL: produced messages"; exit 1; }
import json, sys
T = sys.argv[1]
rows = [json.loads(l) for l in open(T + "/rows.jsonl")]
loop = [json.loads(l) for l in open(T + "/loop.txt")]
assert loop == [rows[i % 10] for i in range(25)], ("--loop", len(loop))
arr = [json.loads(l) for l in open(T + "/arr.txt")]
assert [len(a) for a in arr] == [3, 3, 3, 1], [len(a) for a in arr]
assert [r for a in arr for r in a] == rows, "json-array rows"
paced = [json.loads(l) for l in open(T + "/paced.txt")]
assert paced == rows, "--interval/--rate lost or reordered rows"
print("ok")
PY

# consume --from-end sees only what comes after it started; --max stops it
"$SK" produce --bootstrap "$BS" --topic tail "$T/rows.jsonl" > /dev/null 2>&1
"$SK" consume --bootstrap "$BS" --topic tail --from-end --max 3 --timeout 20s > "$T/tail.txt" 2> "$T/c.err" &
cpid=$!
# produce the newer messages again and again until the consumer has its three
# (it may join the group after the first ones): it must never print an old one
for i in $(seq 100); do
    kill -0 $cpid 2>/dev/null || break
    printf '{"id":%d,"new":true}\n' $((100 + i)) | kcat -P -b "$BS" -t tail
    sleep 0.1
done
rc=0; wait $cpid || rc=$?
[ $rc -eq 0 ] || { cat "$T/c.err"; echo "FAIL: consume exited $rc"; exit 1; }
[ "$(wc -l < "$T/tail.txt")" -eq 3 ] || { cat "$T/tail.txt"; echo "FAIL: --max 3 printed $(wc -l < "$T/tail.txt") lines"; exit 1; }
! grep -q '"name"' "$T/tail.txt" || { cat "$T/tail.txt"; echo "FAIL: --from-end printed an old message"; exit 1; }
echo "ok: produce JSON lines with --loop/--max-batches, json-array batches, --interval/--rate; consume --from-end --max"
