#!/usr/bin/env bash
# RocksDB as the working state (docs/CHECKPOINTS.md): an aggregation whose
# state is many times 'state.rocksdb.cacheBytes' keeps its groups in RocksDB
# and only a bounded cache in memory.  300,000 distinct keys over 24 batches
# (each key updated in two batches twelve apart, so its second update reads
# the group back from RocksDB), update mode, with a 4 MB cache.  The same
# query runs with the memory backend; both outputs must be equal row for row,
# and the final value of every key must equal what Python computes from the
# input.  The peak RSS of both runs is printed and the RocksDB run's must be
# below the memory run's (not under ASan).  'state.maxBytes' at the same 4 MB
# fails the memory backend's query, and bounds the RocksDB cache instead:
# that run goes to the end with the same output. (the state alone is larger than the cache many
# times over: checked on the memory run's snapshot).  No timing is asserted.
set -eu
. "$(dirname "$0")/lib.sh"
need_python
need_time
NB=24 ROWS=25000 KEYS=300000 CACHE=4000000

$PY - "$T/in" $NB $ROWS $KEYS <<'PY'
import os, sys
d, nb, r, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
os.makedirs(d)
base = 1704067200
for f in range(nb):
    p = os.path.join(d, "%03d.json" % f)
    with open(p, "w") as o:
        for i in range(r):
            n = (f * r + i) % k
            o.write('{"k":"key-%07d-abcdefghijklmnop","v":%d,"s":"s%07d"}\n'
                    % (n, f * 7 + i % 13, (f * r + i) % 9999991))
    os.utime(p, (base + f, base + f))  # one file per batch, in this order
PY

write_sql() { # $1: name, $2: state options
    cat > "$T/$1.sql" <<SQL
CREATE SOURCE s (k STRING, v INT, s STRING)
WITH (connector = 'file', path = '$T/in', format = 'json', maxFilesPerTrigger = '1');
CREATE SINK o WITH (connector = 'file', path = '$T/$1/out', format = 'json', 'output.mode' = 'update',
                    checkpointLocation = '$T/$1/ck', $2, trigger = 'availableNow') AS
SELECT k, count(*) AS n, sum(v) AS total, max(s) AS hi FROM s GROUP BY k;
SQL
}
write_sql mem "'state.backend' = 'memory'"
write_sql rdb "'state.backend' = 'rocksdb', 'state.rocksdb.cacheBytes' = '$CACHE'"
# 'state.maxBytes' fails the memory backend's query; with RocksDB it bounds the cache
write_sql max "'state.backend' = 'rocksdb', 'state.maxBytes' = '$CACHE'"
write_sql memmax "'state.backend' = 'memory', 'state.maxBytes' = '$CACHE'"
if "$SLUICE" run "$T/memmax.sql" --quiet > "$T/memmax.log" 2>&1 || ! grep -q "over the limit 'state.maxBytes'" "$T/memmax.log"; then
    cat "$T/memmax.log"; fail "the memory backend did not refuse state over 'state.maxBytes'"
fi

for q in mem rdb max; do
    run_measured $q "$T/$q.sql"
    cat "$T/$q"/out/part-*.json | sort > "$T/$q.rows"
done

cmp -s "$T/mem.rows" "$T/rdb.rows" ||
    { diff "$T/mem.rows" "$T/rdb.rows" | head; fail "RocksDB's output differs from memory's"; }
cmp -s "$T/mem.rows" "$T/max.rows" ||
    { diff "$T/mem.rows" "$T/max.rows" | head; fail "RocksDB's output under 'state.maxBytes' differs from memory's"; }

# the last update of every key against Python's aggregation of the input
$PY - "$T/in" "$T/rdb.rows" <<'PY' || exit 1
import json, os, sys
d = sys.argv[1]
want = {}
for f in sorted(os.listdir(d)):
    for l in open(os.path.join(d, f)):
        r = json.loads(l)
        n, t, h = want.get(r["k"], (0, 0, ""))
        want[r["k"]] = (n + 1, t + r["v"], max(h, r["s"]))
got = {}
for l in open(sys.argv[2]):
    r = json.loads(l)
    if r["n"] > got.get(r["k"], (0,))[0]:
        got[r["k"]] = (r["n"], r["total"], r["hi"])
if got != want:
    bad = [k for k in want if got.get(k) != want[k]][:5]
    print("FAIL: final values differ from Python's, e.g.", [(k, want[k], got.get(k)) for k in bad])
    sys.exit(1)
print("final values of %d keys equal Python's" % len(got))
PY

# the state really is larger than the cache: the memory run's largest state
# snapshot (every group's record, serialised) against the cache's bound
snap=$(find "$T/mem/ck/state" -name '*.snapshot' -printf '%s\n' | sort -n | tail -1)
[ "${snap:-0}" -ge $((4 * CACHE)) ] ||
    fail "the state (${snap:-?} bytes serialised) is not 4x the cache"
echo "state: $KEYS groups, $snap bytes serialised; cache bound $CACHE bytes"
rss_below mem rdb
echo "ok: outputs equal ($(wc -l < "$T/rdb.rows") update rows); 'state.maxBytes' refused by memory, a cache bound for RocksDB"
