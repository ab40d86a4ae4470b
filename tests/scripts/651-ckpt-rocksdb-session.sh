#!/usr/bin/env bash
# Session windows with RocksDB as the working state (docs/CHECKPOINTS.md):
# 100,000 keys whose sessions stay open most of the run (each key's rows
# come 8 batches apart, inside the 5-minute gap, some bridging two of its
# sessions, a few late), append mode, with a 1 MB cache — the open
# sessions are many times that.  The same query runs with the memory
# backend; both outputs must be equal row for row and equal to an
# independent Python model (session_model.py).  'state.maxBytes' at the
# same 1 MB fails the memory backend's query and bounds the RocksDB cache
# instead (that run goes to the end with the same output).  Peak RSS of the
# runs and their CPU time are printed, not compared (RocksDB's own memtables and block cache
# are of the order of this state); no timing is asserted.
set -eu
. "$(dirname "$0")/lib.sh"
need_python
need_time
NB=24 ROWS=12500 KEYS=100000 CACHE=1000000 GAP=300 DELAY=120

$PY - "$T/in" $NB $ROWS $KEYS <<'PY'
import os, random, sys
d, nb, r, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
os.makedirs(d)
rnd = random.Random(651)
base = 1704067200
for f in range(nb):
    p = os.path.join(d, "%03d.json" % f)
    with open(p, "w") as o:
        for i in range(r):
            n = (f * r + i) % k
            t = 1200 + f * 30 + rnd.randint(-120, 120)
            if i % 997 == 0: t -= 500  # behind the watermark: some late, some not
            o.write('{"k":"key-%07d-abcdefghij","v":%d,"ts":"2024-01-01 %02d:%02d:%02d"}\n'
                    % (n, rnd.randint(-1000, 1000), t // 3600, t // 60 % 60, t % 60))
    os.utime(p, (base + f, base + f))  # one file per batch, in this order
PY

write_sql() { # $1: name, $2: state options
    cat > "$T/$1.sql" <<SQL
CREATE SOURCE s (k STRING, v INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '$DELAY' SECOND)
WITH (connector = 'file', path = '$T/in', format = 'json', maxFilesPerTrigger = '1');
CREATE SINK o WITH (connector = 'file', path = '$T/$1/out', format = 'json', 'output.mode' = 'append',
                    checkpointLocation = '$T/$1/ck', 'state.snapshotInterval' = '5', $2, trigger = 'availableNow') AS
SELECT k, window_start, window_end, count(*) AS n, sum(v) AS total, min(v) AS lo, max(v) AS hi
FROM s GROUP BY session_window(ts, '$GAP seconds'), k;
SQL
}
write_sql mem "'state.backend' = 'memory'"
write_sql rdb "'state.backend' = 'rocksdb', 'state.rocksdb.cacheBytes' = '$CACHE'"
write_sql max "'state.backend' = 'rocksdb', 'state.maxBytes' = '$CACHE'"
write_sql memmax "'state.backend' = 'memory', 'state.maxBytes' = '$CACHE'"
if "$SLUICE" run "$T/memmax.sql" --quiet > "$T/memmax.log" 2>&1 || ! grep -q "over the limit 'state.maxBytes'" "$T/memmax.log"; then
    cat "$T/memmax.log"; fail "the memory backend did not refuse session state over 'state.maxBytes'"
fi

for q in mem rdb max; do
    run_measured $q "$T/$q.sql"
    cat "$T/$q"/out/part-*.json | sort > "$T/$q.rows"
done
cmp -s "$T/mem.rows" "$T/rdb.rows" || { diff "$T/mem.rows" "$T/rdb.rows" | head; fail "RocksDB's output differs from memory's"; }
cmp -s "$T/mem.rows" "$T/max.rows" ||
    { diff "$T/mem.rows" "$T/max.rows" | head; fail "RocksDB's output under 'state.maxBytes' differs from memory's"; }
$PY "$ROOT/tests/scripts/session_model.py" "$T/in" $GAP $DELAY "$T/rdb.rows" || fail "the output differs from the model"

# the open sessions really are larger than the cache: the memory run's
# largest state snapshot (every session's record, serialised)
snap=$(find "$T/mem/ck/state" -name '*.snapshot' -printf '%s\n' | sort -n | tail -1)
[ "${snap:-0}" -ge $((4 * CACHE)) ] || fail "the state (${snap:-?} bytes serialised) is not 4x the cache"
echo "state: up to $snap bytes of sessions serialised; cache bound $CACHE bytes"
for q in mem rdb max; do
    read -r rss usr sys < <(tail -1 "$T/$q.rss")
    echo "$q: peak RSS $((rss / 1024)) MB, CPU ${usr} s user + ${sys} s sys"
done
echo "ok: outputs equal ($(wc -l < "$T/rdb.rows") sessions); 'state.maxBytes' refused by memory, a cache bound for RocksDB"
