#!/usr/bin/env bash
# RocksDB as the working state, windowed aggregation in update mode with a
# watermark and a 1-byte cache: every group lives only in RocksDB between
# batches, so the groups whose window the watermark passed are found by the
# event-time-ordered scan and deleted there (update mode emits nothing for
# them).  The output must equal the memory backend's row for row, and the
# state after every batch must hold as many groups as the memory backend's
# (read from each run's snapshot of that batch: the memory backend's record
# count, RocksDB's key count less its marker), so a group left behind by
# the eviction fails the test even though update mode would never print it.
set -eu
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$ROOT/build}" "${SLUICE:=$BUILD/sluice}"
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

$PY - "$T/in" <<'PY'
import os, random, sys
d = sys.argv[1]
os.makedirs(d)
r = random.Random(638)
base = 1704067200
for f in range(20):
    p = os.path.join(d, "%03d.json" % f)
    with open(p, "w") as o:
        for i in range(200):
            t = max(0, f * 15 + r.randint(-20, 10))   # drifts forward, out of order
            o.write('{"k":"k%03d","v":%d,"ts":"2024-01-01 %02d:%02d:%02d"}\n'
                    % (r.randint(0, 150), r.randint(-9, 99), t // 3600, t // 60 % 60, t % 60))
    os.utime(p, (base + f, base + f))
PY

for be in memory rocksdb; do
    cat > "$T/$be.sql" <<SQL
CREATE SOURCE s (k STRING, v INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '20' SECOND)
WITH (connector = 'file', path = '$T/in', format = 'json', maxFilesPerTrigger = '1');
CREATE SINK o WITH (connector = 'file', path = '$T/$be/out', format = 'json', 'output.mode' = 'update',
                    checkpointLocation = '$T/$be/ck', 'state.backend' = '$be', 'state.rocksdb.cacheBytes' = '1',
                    'state.snapshotInterval' = '1', 'minBatchesToRetain' = '1000', trigger = 'availableNow') AS
SELECT k, window_start, count(*) AS n, sum(v) AS total, max(v) AS hi
FROM s GROUP BY k, window(ts, '30 seconds');
SQL
    "$SLUICE" run "$T/$be.sql" --quiet > "$T/$be.log" 2>&1 || { cat "$T/$be.log"; echo "FAIL: the $be run failed"; exit 1; }
    cat "$T/$be"/out/part-*.json | sort > "$T/$be.rows"
done
[ -s "$T/memory.rows" ] || { echo "FAIL: no output"; exit 1; }
cmp -s "$T/memory.rows" "$T/rocksdb.rows" ||
    { diff "$T/memory.rows" "$T/rocksdb.rows" | head; echo "FAIL: RocksDB's output differs from memory's"; exit 1; }

# groups in state after each batch, from both runs' snapshots
$PY - "$T/memory/ck/state/0-aggregate" "$T/rocksdb/ck/state/0-aggregate" <<'PY' || exit 1
import os, sys
def varint(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1; v |= (c & 0x7F) << s; s += 7
        if not c & 0x80: return v, i
mem, rdb = {}, {}
for f in os.listdir(sys.argv[1]):
    if f.endswith(".snapshot"):
        b = open(os.path.join(sys.argv[1], f), "rb").read()[24:]   # past the file header
        assert b[:4] == b"SKVS", f
        _, i = varint(b, 5)
        mem[int(f.split(".")[0])] = varint(b, i)[0]
for f in os.listdir(sys.argv[2]):
    if f.endswith(".snapdir"):
        rdb[int(f.split(".")[0])] = int(open(os.path.join(sys.argv[2], f, "SLUICE_COUNT")).read()) - 1
if not mem or sorted(mem) != sorted(rdb):
    print("FAIL: snapshots of different batches: memory %s, rocksdb %s" % (sorted(mem), sorted(rdb))); sys.exit(1)
bad = [(v, mem[v], rdb[v]) for v in sorted(mem) if mem[v] != rdb[v]]
if bad:
    print("FAIL: groups in state (batch, memory, rocksdb):", bad[:5]); sys.exit(1)
if not any(mem[v] < mem[v - 1] for v in sorted(mem)[1:]):
    print("FAIL: the state never shrank: the watermark evicted nothing", mem); sys.exit(1)
print("groups in state after each of %d batches equal (from %d to %d; peak %d)"
      % (len(mem), mem[min(mem)], mem[max(mem)], max(mem.values())))
PY
echo "ok: windowed update mode, 1-byte RocksDB cache: output ($(wc -l < "$T/rocksdb.rows") rows) and state equal memory's"
