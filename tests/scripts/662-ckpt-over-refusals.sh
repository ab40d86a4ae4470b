#!/usr/bin/env bash
# What a restart of an OVER or top-N query against an existing checkpoint
# refuses and accepts (docs/CHECKPOINTS.md, "Compatibility"): a changed
# PARTITION BY, ORDER BY (key or direction), frame, function, top-N bound or
# input columns is refused naming the difference; a changed projection above
# the operator resumes after the last committed batch; a corrupt or
# truncated state file is refused naming the file, and a state file from
# another OVER query (valid checksums, another frame) is refused by the
# operator; once the file is restored the checkpoint works again. Restored
# rows are output bit for bit (-0.0 stays -0.0). The state backend may
# change across a restart (memory to RocksDB and back).
set -eu
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$ROOT/build}" "${SLUICE:=$BUILD/sluice}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

mkdir -p "$T/in"
for f in 0 1 2 3 4 5 6 7; do
    for i in $(seq 0 9); do
        printf '{"k":"%s","v":%d,"ts":"2024-01-01 00:%02d:%02d"}\n' "$(echo abc | cut -c$((i % 3 + 1)))" $((i * 7 % 10)) $f $((i * 5))
    done > "$T/in/$f.json"
    touch -d "@$((1704067200 + f))" "$T/in/$f.json"
done

# $1: file, $2: checkpoint, $3: select list, $4: FROM (default s), $5: WHERE, $6: sink options
q() {
    cat > "$T/$1" <<SQL
CREATE SOURCE s (k STRING, v INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '10' SECOND)
WITH (connector = 'file', path = '$T/in', format = 'json', maxFilesPerTrigger = '2');
CREATE SINK o WITH (connector = 'file', path = '$T/out-$2', format = 'json',
                    checkpointLocation = '$T/$2', trigger = 'availableNow' ${6:-}) AS
SELECT $3 FROM ${4:-s} ${5:-};
SQL
}
# Every run's output is kept: refusals must not leak or crash under ASan.
run() { local rc=0; "$SLUICE" run "$T/$1" --quiet > "$T/log" 2>&1 || rc=$?; cat "$T/log" >> "$T/all.log"; return $rc; }
refused() { # $1: file, $2: what changed, $3: the difference the message must name (fixed string)
    run "$1" && fail "a changed $2 was accepted"
    grep -qF "incompatible query ($3" "$T/log" || { cat "$T/log"; fail "the refusal does not name the changed $2 ($3)"; }
}

F="PARTITION BY k ORDER BY ts, v"
q over.sql ck "k, ts, v, avg(v) OVER ($F ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS a,
               row_number() OVER ($F) AS rn"
run over.sql || { cat "$T/log"; fail "first OVER run"; }
last=$(ls "$T/ck/commits" | sort -n | tail -1)
[ "$last" -ge 3 ] || fail "expected several committed batches, got up to $last"
ls "$T/ck/state" | grep -qx "0-over" || fail "the OVER operator saved no state"
[ "$(cat "$T"/out-ck/part-*.json | wc -l)" -gt 0 ] || fail "the OVER query emitted nothing"

# 1. unsafe changes are refused, naming the difference
q c1.sql ck "k, ts, v, avg(v) OVER (PARTITION BY v ORDER BY ts, v ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS a,
             row_number() OVER (PARTITION BY v ORDER BY ts, v) AS rn"
refused c1.sql "PARTITION BY" 'operators[0].partitionBy[0]: was "k", now "v"'
q c2.sql ck "k, ts, v, avg(v) OVER (PARTITION BY k ORDER BY ts, v DESC ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS a,
             row_number() OVER (PARTITION BY k ORDER BY ts, v DESC) AS rn"
refused c2.sql "ORDER BY direction" 'operators[0].orderBy[1]: was "v ASC", now "v DESC"'
q c3.sql ck "k, ts, v, avg(v) OVER ($F ROWS BETWEEN 5 PRECEDING AND CURRENT ROW) AS a, row_number() OVER ($F) AS rn"
refused c3.sql "frame" 'operators[0].frame: was "ROWS 2 PRECEDING", now "ROWS 5 PRECEDING"'
q c4.sql ck "k, ts, v, sum(v) OVER ($F ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS a, row_number() OVER ($F) AS rn"
refused c4.sql "function" 'operators[0].functions[0]: was "avg(v)", now "sum(v)"'
q c5.sql ck "k, ts, v, avg(v) OVER ($F ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS a, row_number() OVER ($F) AS rn" \
  "(SELECT k, v, ts, v * 2 AS w FROM s)"
refused c5.sql "input" 'operators[0].input[3]: was absent, now "w INT"'

# 2. a safe change (the projection above the operator) resumes after the last committed batch
q proj.sql ck "k, avg(v) OVER ($F ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS mean,
               row_number() OVER ($F) AS n"
"$SLUICE" run "$T/proj.sql" > "$T/log" 2>&1 || { cat "$T/log"; fail "a changed projection was refused"; }
grep -q "resuming from checkpoint $T/ck at batch $((last + 1))" "$T/log" || { cat "$T/log"; fail "did not resume after batch $last"; }

# 3. corrupt and truncated state files are refused, naming them; restored, the checkpoint works
last=$(ls "$T/ck/commits" | sort -n | tail -1)
f="state/0-over/$last.delta"; [ -f "$T/ck/$f" ] || f="state/0-over/$last.snapshot"
[ -f "$T/ck/$f" ] || fail "no state file for batch $last"
cp "$T/ck/$f" "$T/saved"
printf 'X' | dd of="$T/ck/$f" bs=1 seek=30 conv=notrunc 2>/dev/null
run over.sql && fail "a corrupt $f was accepted"
grep -q "checkpoint file $T/ck/$f is corrupt: payload checksum mismatch" "$T/log" || { cat "$T/log"; fail "corrupt $f: unclear message"; }
head -c 20 "$T/saved" > "$T/ck/$f"
run over.sql && fail "a truncated $f was accepted"
grep -q "checkpoint file $T/ck/$f is truncated" "$T/log" || { cat "$T/log"; fail "truncated $f: unclear message"; }
cp "$T/saved" "$T/ck/$f"
run over.sql || { cat "$T/log"; fail "the restored checkpoint was refused"; }

# 4. state files of another OVER query (intact files, another frame: running sums) are refused by the operator
q run.sql ck2 "k, ts, v, avg(v) OVER ($F ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS a,
               row_number() OVER ($F) AS rn"
run run.sql || { cat "$T/log"; fail "the running-sum query"; }
[ "$(ls "$T/ck2/commits" | sort -n | tail -1)" = "$(ls "$T/ck/commits" | sort -n | tail -1)" ] || fail "the two runs committed different batches"
mv "$T/ck2/state" "$T/ck2-state"; cp -r "$T/ck/state" "$T/ck2/state"
run run.sql && fail "another query's OVER state was accepted"
grep -q "restoring the state of operator 0-over: OVER state: a partition record is malformed or does not fit this query" "$T/log" ||
    { cat "$T/log"; fail "foreign state: unclear message"; }
rm -rf "$T/ck2/state"; mv "$T/ck2-state" "$T/ck2/state"
run run.sql || { cat "$T/log"; fail "the running-sum checkpoint with its own state"; }

# 5. top-N: a changed bound or order is refused; corrupt state refused
TOPN="SELECT k, v, rn FROM (SELECT k, v, row_number() OVER (PARTITION BY k ORDER BY v DESC) AS rn FROM s)"
q top.sql ckt "*" "($TOPN)" "WHERE rn <= 2" ", 'output.mode' = 'update'"
run top.sql || { cat "$T/log"; fail "first top-N run"; }
ls "$T/ckt/state" | grep -qx "0-over" || fail "the top-N saved no state"
q top3.sql ckt "*" "($TOPN)" "WHERE rn <= 3" ", 'output.mode' = 'update'"
refused top3.sql "top-N bound" 'operators[0].topN: was 2, now 3'
q topasc.sql ckt "*" "(${TOPN/v DESC/v})" "WHERE rn <= 2" ", 'output.mode' = 'update'"
refused topasc.sql "top-N order" 'operators[0].orderBy[0]: was "v DESC", now "v ASC"'
last=$(ls "$T/ckt/commits" | sort -n | tail -1)
f="state/0-over/$last.delta"; [ -f "$T/ckt/$f" ] || f="state/0-over/$last.snapshot"
cp "$T/ckt/$f" "$T/saved"
printf 'X' | dd of="$T/ckt/$f" bs=1 seek=30 conv=notrunc 2>/dev/null
run top.sql && fail "a corrupt top-N $f was accepted"
grep -q "checkpoint file $T/ckt/$f is corrupt: payload checksum mismatch" "$T/log" || { cat "$T/log"; fail "corrupt top-N $f: unclear message"; }
cp "$T/saved" "$T/ckt/$f"
run top.sql || { cat "$T/log"; fail "the restored top-N checkpoint was refused"; }

# 6. restored rows are the rows that came in: -0.0 in a held row (released after the restart) and in
# a top-N row (pushed down a rank after the restart) comes out as -0.0, as in an uninterrupted run
mkdir -p "$T/nz-in" "$T/nz-later"
printf '{"k":"a","d":1.5,"ts":"2024-01-01 00:00:01"}\n{"k":"a","d":-0.0,"ts":"2024-01-01 00:00:02"}\n' > "$T/nz-in/0.json"
printf '{"k":"a","d":2.0,"ts":"2024-01-01 00:01:00"}\n' > "$T/nz-later/1.json"
touch -d @1704067200 "$T/nz-in/0.json"; touch -d @1704067201 "$T/nz-later/1.json"
nz() { # $1: file, $2: run name
    cat > "$T/$1" <<SQL
CREATE SOURCE s (k STRING, d DOUBLE, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '10' SECOND)
WITH (connector = 'file', path = '$T/nz-in', format = 'json', maxFilesPerTrigger = '1');
CREATE SINK held WITH (connector = 'file', path = '$T/$2-held', format = 'json', checkpointLocation = '$T/$2-ckh',
                       trigger = 'availableNow') AS
SELECT k, d, ts, row_number() OVER (PARTITION BY k ORDER BY ts) AS rn FROM s;
CREATE SINK top WITH (connector = 'file', path = '$T/$2-top', format = 'json', checkpointLocation = '$T/$2-ckt',
                      trigger = 'availableNow', 'output.mode' = 'update') AS
SELECT * FROM (SELECT k, d, ts, row_number() OVER (PARTITION BY k ORDER BY ts DESC) AS rn FROM s) WHERE rn <= 2;
SQL
}
nz nz-split.sql split; nz nz-whole.sql whole
run nz-split.sql || { cat "$T/log"; fail "-0.0: first run"; }
cp "$T/nz-later/1.json" "$T/nz-in/"; touch -d @1704067201 "$T/nz-in/1.json"
run nz-split.sql || { cat "$T/log"; fail "-0.0: the restart"; }
run nz-whole.sql || { cat "$T/log"; fail "-0.0: the uninterrupted run"; }
for s in held top; do
    cat "$T/split-$s"/part-*.json | sort > "$T/split-$s.txt"; cat "$T/whole-$s"/part-*.json | sort > "$T/whole-$s.txt"
    cmp -s "$T/split-$s.txt" "$T/whole-$s.txt" ||
        { diff "$T/whole-$s.txt" "$T/split-$s.txt"; fail "-0.0: the restarted $s output differs from the uninterrupted run's"; }
done
grep -q '"d":-0.0,"ts":"2024-01-01T00:00:02.000Z","rn":2' "$T/split-held.txt" || { cat "$T/split-held.txt"; fail "-0.0: the held row"; }
[ "$(grep -c '"d":-0.0,"ts":"2024-01-01T00:00:02.000Z","rn":2' "$T/split-top.txt")" -eq 1 ] ||
    { cat "$T/split-top.txt"; fail "-0.0: the top-N row restored and pushed to rank 2"; }

# 7. 'state.backend' may change across a restart, either way: the output equals an uninterrupted run's
q sw-whole.sql sw-whole "k, ts, v, avg(v) OVER ($F ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS a,
                         row_number() OVER ($F) AS rn"
run sw-whole.sql || { cat "$T/log"; fail "backend switch: the uninterrupted run"; }
cat "$T"/out-sw-whole/part-*.json | sort > "$T/sw-whole.txt"
for pair in memory-rocksdb rocksdb-memory; do
    mkdir -p "$T/sw-later"; mv "$T"/in/[4-7].json "$T/sw-later/"
    q sw1.sql "sw-$pair" "k, ts, v, avg(v) OVER ($F ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS a,
                          row_number() OVER ($F) AS rn" "" "" ", 'state.backend' = '${pair%-*}'"
    run sw1.sql || { cat "$T/log"; fail "backend switch $pair: first run"; }
    mv "$T"/sw-later/*.json "$T/in/"
    q sw2.sql "sw-$pair" "k, ts, v, avg(v) OVER ($F ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS a,
                          row_number() OVER ($F) AS rn" "" "" ", 'state.backend' = '${pair#*-}'"
    "$SLUICE" run "$T/sw2.sql" > "$T/log" 2>&1 || { cat "$T/log"; fail "backend switch $pair: the restart"; }
    grep -q "resuming from checkpoint $T/sw-$pair at batch [1-9]" "$T/log" || { cat "$T/log"; fail "backend switch $pair: did not resume"; }
    cat "$T/out-sw-$pair"/part-*.json | sort | cmp -s - "$T/sw-whole.txt" ||
        fail "backend switch $pair: the output differs from the uninterrupted run's"
done

! grep -q Sanitizer "$T/all.log" || { grep -A5 Sanitizer "$T/all.log" | head -30; fail "sanitizer report"; }
echo "ok: changed PARTITION BY, ORDER BY, frame, function, input and top-N bound refused naming the difference; projection change resumes; corrupt, truncated and foreign OVER state refused; restored rows bit for bit; backend switched either way"
