#!/usr/bin/env bash
# 'late.sink' of a stream-stream join: rows that arrive behind the
# watermark on either side are dropped, counted and written to the late
# sink, each side to its own subdirectory <i>-symmetricHashJoin-<side>
# with that side's columns.  Three batches (one file per source each),
# 5-second watermarks, the 'min' policy; expected rows worked out by hand:
#   batch 0 (no watermark): a1 x@10 and b101 x@11 match.  Watermark after:
#           min(10, 11) - 5 = 00:05.
#   batch 1 (00:05): a2 y@04 and b102 y@04 are late; a3 y@20 matches
#           b103 y@21; b104 x@06 is on time but matches nothing.
#           Watermark after: min(20, 21) - 5 = 00:15.
#   batch 2 (00:15): a4 x@14 and b105 z@10 are late; a5 z@30 matches
#           b106 z@30.
set -eu
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$ROOT/build}" "${SLUICE:=$BUILD/sluice}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/a" "$T/b"
row() { printf '{"k":"%s","v":%d,"ts":"2024-01-01 00:00:%02d"}\n' "$1" "$2" "$3"; }
{ row x 1 10; } > "$T/a/001.json"
{ row x 101 11; } > "$T/b/001.json"
{ row y 2 4; row y 3 20; } > "$T/a/002.json"
{ row y 102 4; row y 103 21; row x 104 6; } > "$T/b/002.json"
{ row x 4 14; row z 5 30; } > "$T/a/003.json"
{ row z 105 10; row z 106 30; } > "$T/b/003.json"
i=0
for f in 001 002 003; do
    i=$((i + 1)); touch -d "2024-01-01 00:00:0$i" "$T/a/$f.json" "$T/b/$f.json"
done
cat > "$T/q.sql" <<SQL
CREATE SOURCE a (k STRING, v INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
WITH (connector = 'file', path = '$T/a', format = 'json', maxFilesPerTrigger = '1');
CREATE SOURCE b (k STRING, v INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
WITH (connector = 'file', path = '$T/b', format = 'json', maxFilesPerTrigger = '1');
CREATE SINK o WITH (connector = 'file', path = '$T/out', format = 'json', 'late.sink' = '$T/late',
                    trigger = 'availableNow') AS
SELECT a.v AS av, b.v AS bv FROM a JOIN b ON a.k = b.k AND b.ts BETWEEN a.ts AND a.ts + INTERVAL '1' SECOND;
SQL
"$SLUICE" run "$T/q.sql" > "$T/log" 2>&1 || { cat "$T/log"; echo "FAIL: run"; exit 1; }
vals() { cat "$@" 2>/dev/null | sed 's/[^0-9,]//g' | sort | tr '\n' ' '; }
out=$(vals "$T"/out/part-*.json)
[ "$out" = "1,101 3,103 5,106 " ] || { cat "$T/log"; echo "FAIL: joined rows: $out"; exit 1; }
la=$(cat "$T"/late/0-symmetricHashJoin-0/part-*.json | sed -n 's/.*"v":\([0-9]*\).*/\1/p' | sort -n | tr '\n' ' ')
lb=$(cat "$T"/late/0-symmetricHashJoin-1/part-*.json | sed -n 's/.*"v":\([0-9]*\).*/\1/p' | sort -n | tr '\n' ' ')
[ "$la" = "2 4 " ] || { echo "FAIL: late rows of a: '$la' (want 2 4)"; exit 1; }
[ "$lb" = "102 105 " ] || { echo "FAIL: late rows of b: '$lb' (want 102 105)"; exit 1; }
# a late row keeps its side's columns
grep -q '"k":"y","v":2,"ts":' "$T"/late/0-symmetricHashJoin-0/part-*.json || { cat "$T"/late/0-symmetricHashJoin-0/part-*.json; echo "FAIL: late row columns"; exit 1; }
dropped=$(sed -n 's/.*, \([0-9]*\) late rows dropped.*/\1/p' "$T/log" | awk '{s += $1} END {print s + 0}')
[ "$dropped" = 4 ] || { cat "$T/log"; echo "FAIL: $dropped late rows counted (want 4)"; exit 1; }
echo "ok: a stream-stream join's late rows (2 per side) go to 'late.sink', one directory per side"
