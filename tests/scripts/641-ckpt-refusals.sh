#!/usr/bin/env bash
# What a restart against an existing checkpoint refuses, and what it accepts
# (docs/CHECKPOINTS.md, "Compatibility"): a changed grouping key or aggregate
# is refused with a message naming the difference; a changed projection is
# accepted and resumes where the last run stopped; corrupt and truncated
# checkpoint files (commit, offsets, state) are refused naming the file and
# leave the checkpoint usable once restored; a checkpoint location below a
# regular file is a clear I/O error; an operator whose state cannot be
# saved is refused rather than restarted empty.
set -eu
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$ROOT/build}" "${SLUICE:=$BUILD/sluice}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

mkdir -p "$T/in"
for f in 0 1 2 3 4 5; do
    for i in $(seq 0 9); do
        printf '{"k":"%s","v":%d,"ts":"2024-01-01 00:%02d:%02d"}\n' "$(echo abc | cut -c$((i % 3 + 1)))" $i $f $((i * 5))
    done > "$T/in/$f.json"
    touch -d "@$((1704067200 + f))" "$T/in/$f.json"
done

q() { # $1: file, $2: select list, $3: group by, $4: extra sink options
    cat > "$T/$1" <<SQL
CREATE SOURCE s (k STRING, v INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '10' SECOND)
WITH (connector = 'file', path = '$T/in', format = 'json', maxFilesPerTrigger = '2');
CREATE SINK o WITH (connector = 'file', path = '$T/out', format = 'json',
                    checkpointLocation = '$T/ck', trigger = 'availableNow' $4) AS
SELECT $2 FROM s GROUP BY $3;
SQL
}
# Every run's output is kept: refusals must not leak or crash under ASan.
run() { local rc=0; "$SLUICE" run "$T/$1" --quiet > "$T/log" 2>&1 || rc=$?; cat "$T/log" >> "$T/all.log"; return $rc; }

q base.sql "k, window_start, count(*) AS n" "k, window(ts, '1 minute')" ""
run base.sql || { cat "$T/log"; fail "first run"; }
last=$(ls "$T/ck/commits" | sort -n | tail -1)
[ "$last" -ge 2 ] || fail "expected several committed batches, got up to $last"

# 1. unsafe changes are refused, naming the difference
q keys.sql "upper(k) AS k, window_start, count(*) AS n" "upper(k), window(ts, '1 minute')" ""
run keys.sql && fail "a changed grouping key was accepted"
grep -q 'incompatible query (operators\[0\].keys\[0\]: was "k", now "upper(k)")' "$T/log" ||
    { cat "$T/log"; fail "the refusal does not name the changed key"; }
q aggs.sql "k, window_start, sum(v) AS n" "k, window(ts, '1 minute')" ""
run aggs.sql && fail "a changed aggregate was accepted"
grep -q 'aggregates\[0\]: was "count(\*)", now "sum(v)"' "$T/log" || { cat "$T/log"; fail "the refusal does not name the aggregate"; }
q win.sql "k, window_start, count(*) AS n" "k, window(ts, '2 minutes')" ""
run win.sql && fail "a changed window was accepted"
grep -q "window.sizeUs: was 60000000, now 120000000" "$T/log" || { cat "$T/log"; fail "the refusal does not name the window"; }

# 2. a safe change (projection only) resumes after the last committed batch
q proj.sql "k, window_start, window_end, count(*) AS cnt" "k, window(ts, '1 minute')" ""
"$SLUICE" run "$T/proj.sql" > "$T/log" 2>&1 || { cat "$T/log"; fail "a changed projection was refused"; }
grep -q "resuming from checkpoint $T/ck at batch $((last + 1))" "$T/log" || { cat "$T/log"; fail "did not resume after batch $last"; }

# 3. corrupt and truncated files are refused, naming them; restored, the checkpoint works
last=$(ls "$T/ck/commits" | sort -n | tail -1)
for f in "commits/$last" "offsets/$last" "state/0-aggregate/$last.delta"; do
    [ -f "$T/ck/$f" ] || f="state/0-aggregate/$last.snapshot"
    cp "$T/ck/$f" "$T/saved"
    printf 'X' | dd of="$T/ck/$f" bs=1 seek=30 conv=notrunc 2>/dev/null
    run base.sql && fail "a corrupt $f was accepted"
    grep -q "checkpoint file $T/ck/$f is corrupt: payload checksum mismatch" "$T/log" || { cat "$T/log"; fail "corrupt $f: unclear message"; }
    head -c 20 "$T/saved" > "$T/ck/$f"
    run base.sql && fail "a truncated $f was accepted"
    grep -q "checkpoint file $T/ck/$f is truncated" "$T/log" || { cat "$T/log"; fail "truncated $f: unclear message"; }
    cp "$T/saved" "$T/ck/$f"
done
run base.sql || { cat "$T/log"; fail "the restored checkpoint was refused"; }

# 4. SET 'checkpoint.dir': the checkpoint is <dir>/<sink name>, and a restart resumes there
cat > "$T/set.sql" <<SQL
SET 'checkpoint.dir' = '$T/cks';
CREATE SOURCE s (k STRING, v INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '10' SECOND)
WITH (connector = 'file', path = '$T/in', format = 'json', maxFilesPerTrigger = '2');
CREATE SINK viaset WITH (connector = 'file', path = '$T/out4', format = 'json', trigger = 'availableNow') AS
SELECT k, window_start, count(*) AS n FROM s GROUP BY k, window(ts, '1 minute');
SQL
run set.sql || { cat "$T/log"; fail "SET 'checkpoint.dir' run"; }
[ -f "$T/cks/viaset/metadata" ] && [ -f "$T/cks/viaset/commits/2" ] || fail "no checkpoint under checkpoint.dir/<sink name>"
"$SLUICE" run "$T/set.sql" > "$T/log" 2>&1 || { cat "$T/log"; fail "SET 'checkpoint.dir' restart"; }
grep -q "resuming from checkpoint $T/cks/viaset at batch" "$T/log" || { cat "$T/log"; fail "did not resume from checkpoint.dir"; }

# 5. a location below a regular file
echo x > "$T/afile"
cat > "$T/bad.sql" <<SQL
CREATE SOURCE s (k STRING, v INT, ts TIMESTAMP) WITH (connector = 'file', path = '$T/in', format = 'json');
CREATE SINK o WITH (connector = 'file', path = '$T/out2', format = 'json', checkpointLocation = '$T/afile/ck', outputMode = 'update',
                    trigger = 'availableNow') AS SELECT k, count(*) AS n FROM s GROUP BY k;
SQL
run bad.sql && fail "a checkpoint below a regular file was accepted"
grep -q "$T/afile" "$T/log" || { cat "$T/log"; fail "the I/O error does not name the path"; }

# 6. an operator without checkpoint support is refused, not restarted empty
cat > "$T/dedup.sql" <<SQL
CREATE SOURCE s (k STRING, v INT, ts TIMESTAMP) WITH (connector = 'file', path = '$T/in', format = 'json');
CREATE SINK o WITH (connector = 'file', path = '$T/out3', format = 'json', checkpointLocation = '$T/ck3',
                    trigger = 'availableNow') AS SELECT k, v FROM s DEDUPLICATE BY k;
SQL
if run dedup.sql; then
    [ -d "$T/ck3/state" ] && ls "$T/ck3/state" | grep -q dedup || fail "dedup ran with a checkpoint but saved no state"
else
    grep -q "cannot be checkpointed yet" "$T/log" || { cat "$T/log"; fail "dedup: unclear refusal"; }
fi
! grep -q Sanitizer "$T/all.log" || { grep -A5 Sanitizer "$T/all.log" | head -30; fail "sanitizer report"; }
echo "ok: unsafe plan changes refused naming the difference, projection change resumes, corrupt/truncated files refused naming them"
