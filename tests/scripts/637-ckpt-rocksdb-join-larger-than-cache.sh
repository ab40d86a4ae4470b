#!/usr/bin/env bash
# RocksDB as a stream-stream join's working state (docs/CHECKPOINTS.md):
# a left outer interval join whose kept rows (about 9 batches of both
# sides, ~200-byte strings in each row: tens of MB) are many times
# 'state.rocksdb.cacheBytes' keeps them in RocksDB.  16 batches of 6000 rows
# a side, keys drawn from 60,000 so that a row matches about one row of the
# other side in its +-60 s range, some none (NULL-padded at eviction, which
# the watermark does batch after batch; a last row an hour later moves
# the watermark past all the others, so every unmatched row comes out).  The same query runs with the
# memory backend; both outputs must equal, row for row, what Python computes
# as the SQL left join of the input (no row is late: event times move 10 s a
# batch with 5 s of jitter, the watermark lags 30 s).  The peak RSS of both
# runs is printed, and the RocksDB run's must be below the memory run's
# (not under ASan).  No timing is asserted.
set -eu
. "$(dirname "$0")/lib.sh"
need_python
need_time
NB=16 ROWS=6000 KEYS=60000 CACHE=1000000

$PY - "$T" $NB $ROWS $KEYS <<'PY'
import os, random, sys
d, nb, rows, keys = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
r = random.Random(637)
base = 1704067200
for side in "ab":
    os.makedirs(os.path.join(d, side))
for f in range(nb):
    for side in "ab":
        p = os.path.join(d, side, "%03d.json" % f)
        with open(p, "w") as o:
            for i in range(rows):
                t = 100 + f * 10 + r.randint(-5, 5)
                o.write('{"k":%d,"x":%d,"s":"%s%s","ts":"2024-01-01 %02d:%02d:%02d"}\n'
                        % (r.randint(0, keys - 1), f * rows + i, side, "%07d" % i * 25, t // 3600, t // 60 % 60, t % 60))
        os.utime(p, (base + f, base + f))  # one file of each side per batch, in this order
for side in "ab":  # a last row an hour later: the watermark passes every row before it
    p = os.path.join(d, side, "%03d.json" % nb)
    with open(p, "w") as o:
        o.write('{"k":%d,"x":-1,"s":"end","ts":"2024-01-01 01:01:40"}\n' % (-1 if side == "a" else -2))
    os.utime(p, (base + nb, base + nb))
PY

write_sql() { # $1: name, $2: state options
    cat > "$T/$1.sql" <<SQL
CREATE SOURCE a (k INT, x INT, s STRING, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '30' SECOND)
WITH (connector = 'file', path = '$T/a', format = 'json', maxFilesPerTrigger = '1');
CREATE SOURCE b (k INT, x INT, s STRING, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '30' SECOND)
WITH (connector = 'file', path = '$T/b', format = 'json', maxFilesPerTrigger = '1');
CREATE SINK o WITH (connector = 'file', path = '$T/$1/out', format = 'csv', checkpointLocation = '$T/$1/ck',
                    $2, trigger = 'availableNow') AS
SELECT a.k, a.x AS ax, b.x AS bx, substr(a.s, 1, 8) AS sa, substr(b.s, 1, 8) AS sb FROM a LEFT JOIN b
ON a.k = b.k AND b.ts BETWEEN a.ts - INTERVAL '60' SECOND AND a.ts + INTERVAL '60' SECOND;
SQL
}
write_sql mem "'state.backend' = 'memory'"
write_sql rdb "'state.backend' = 'rocksdb', 'state.rocksdb.cacheBytes' = '$CACHE'"

for q in mem rdb; do
    run_measured $q "$T/$q.sql"
    cat "$T/$q"/out/part-*.csv | grep -v '^k,' | sort > "$T/$q.rows"
done

# the SQL left join of the input, by Python (but the last row, never evicted)
$PY - "$T" > "$T/want.rows" <<'PY'
import json, os, sys
from datetime import datetime
d = sys.argv[1]
def rows(side):
    for f in sorted(os.listdir(os.path.join(d, side))):
        for l in open(os.path.join(d, side, f)):
            r = json.loads(l)
            r["t"] = datetime.strptime(r["ts"], "%Y-%m-%d %H:%M:%S").timestamp()
            yield r
byk = {}
for r in rows("b"):
    byk.setdefault(r["k"], []).append(r)
out = []
for a in rows("a"):
    if a["k"] < 0: continue
    m = [b for b in byk.get(a["k"], []) if a["t"] - 60 <= b["t"] <= a["t"] + 60]
    for b in m:
        out.append("%d,%d,%d,%s,%s" % (a["k"], a["x"], b["x"], a["s"][:8], b["s"][:8]))
    if not m:
        out.append("%d,%d,,%s," % (a["k"], a["x"], a["s"][:8]))
for l in sorted(out):
    print(l)
PY
LC_ALL=C sort -o "$T/want.rows" "$T/want.rows"
for q in mem rdb; do LC_ALL=C sort -o "$T/$q.rows" "$T/$q.rows"; done
unmatched=$(grep -c ',$' "$T/want.rows" || true)
[ "$unmatched" -gt 1000 ] && [ "$(wc -l < "$T/want.rows")" -gt $((unmatched + 1000)) ] ||
    fail "the data should give many matched and unmatched rows"
cmp -s "$T/want.rows" "$T/mem.rows" ||
    { diff "$T/want.rows" "$T/mem.rows" | head; fail "the memory backend's output differs from Python's join"; }
cmp -s "$T/want.rows" "$T/rdb.rows" ||
    { diff "$T/want.rows" "$T/rdb.rows" | head; fail "RocksDB's output differs from Python's join"; }
# the kept rows are many times the cache: the memory run's largest snapshot
snap=$(ls -S "$T"/mem/ck/state/*-symmetricHashJoin/* 2>/dev/null | head -1)
bytes=$(stat -c %s "$snap")
[ "$bytes" -gt $((CACHE * 5)) ] || fail "the join state ($bytes bytes) is not many times the cache"
rss_below mem rdb
echo "ok: $(wc -l < "$T/rdb.rows") rows ($unmatched unmatched) equal Python's left join with both backends; join state up to $bytes bytes (memory snapshot), cache $CACHE"
