#!/usr/bin/env bash
# Inner interval joins against DuckDB over the forms a condition's time
# range can take: BETWEEN, strict and non-strict bounds written either way
# round, ± INTERVAL on either side, an equality of times, a non-time
# conjunct beside them; keys of one INT column (probed by hash alone),
# one STRING column and two columns; NULL keys and NULL times (never
# match).  The join checks the time conjuncts on each candidate pair before
# building it (op_join.c's pre-filter); the residual still decides, so every
# form must give exactly DuckDB's rows.  Events are out of order but never
# behind the 6 s watermark, so the streaming answer is the batch answer.
set -eu
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$ROOT/build}" "${SLUICE:=$BUILD/sluice}"
ORACLE=$ROOT/tests/oracle/sql_oracle.js
command -v node >/dev/null || { echo "skip: node not installed"; exit 77; }
[ -d "$ROOT/tests/oracle/node_modules/@duckdb/node-api" ] || (cd "$ROOT/tests/oracle" && npm install --silent >/dev/null 2>&1) ||
    { echo "skip: @duckdb/node-api not installable"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
mkdir -p "$T/a" "$T/b"
/usr/bin/python3 - "$T" <<'PY'
import os, random, sys
d = sys.argv[1]
r = random.Random(647)
base = 1704067200
i = 0
for f in range(15):
    for side in "ab":
        p = os.path.join(d, side, "%03d.json" % f)
        with open(p, "w") as o:
            for _ in range(50):
                t = f * 4 + r.randint(0, 5)          # jitter below the 6 s delay
                ts = '"2024-01-01 00:%02d:%02d"' % (t // 60, t % 60) if r.random() > 0.04 else "null"
                k = "%d" % r.randint(0, 9) if r.random() > 0.03 else "null"
                s = '"s%d"' % r.randint(0, 9) if r.random() > 0.03 else "null"
                o.write('{"k":%s,"s":%s,"x":%d,"ts":%s}\n' % (k, s, i, ts))
                i += 1
        os.utime(p, (base + f, base + f))
PY
forms=(
"a.k = b.k AND b.ts BETWEEN a.ts AND a.ts + INTERVAL '3' SECOND"
"a.k = b.k AND b.ts > a.ts - INTERVAL '2' SECOND AND b.ts < a.ts + INTERVAL '2' SECOND"
"a.s = b.s AND a.ts >= b.ts AND a.ts <= b.ts + INTERVAL '4' SECOND"
"a.k = b.k AND a.s = b.s AND a.ts + INTERVAL '5' SECOND > b.ts AND b.ts + INTERVAL '1' SECOND >= a.ts"
"a.k = b.k AND a.ts = b.ts"
"a.k = b.k AND b.ts BETWEEN a.ts - INTERVAL '3' SECOND AND a.ts AND a.x > b.x"
)
events="CREATE VIEW a AS SELECT k, s, x, CAST(ts AS TIMESTAMP) AS ts FROM read_json('$T/a/*.json', columns = {k: 'INTEGER', s: 'VARCHAR', x: 'BIGINT', ts: 'VARCHAR'});
CREATE VIEW b AS SELECT k, s, x, CAST(ts AS TIMESTAMP) AS ts FROM read_json('$T/b/*.json', columns = {k: 'INTEGER', s: 'VARCHAR', x: 'BIGINT', ts: 'VARCHAR'})"
n=0
for c in "${forms[@]}"; do
    n=$((n + 1))
    cat > "$T/q.sql" <<SQL
CREATE SOURCE a (k INT, s STRING, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '6' SECOND)
WITH (connector = 'file', path = '$T/a', format = 'json', maxFilesPerTrigger = '1');
CREATE SOURCE b (k INT, s STRING, x BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '6' SECOND)
WITH (connector = 'file', path = '$T/b', format = 'json', maxFilesPerTrigger = '1');
CREATE SINK o WITH (connector = 'file', path = '$T/o$n', format = 'csv', trigger = 'availableNow') AS
SELECT a.x AS ax, b.x AS bx FROM a JOIN b ON $c;
SQL
    "$SLUICE" run "$T/q.sql" > "$T/log" 2>&1 || { cat "$T/log"; echo "FAIL: form $n: $c"; exit 1; }
    ! grep -q 'late rows dropped' "$T/log" || { echo "FAIL: form $n: the data should have no late rows"; exit 1; }
    dc=$(echo "$c" | sed "s/INTERVAL '\([0-9]*\)' SECOND/INTERVAL \1 SECOND/g")
    node "$ORACLE" "$events; CREATE VIEW got AS SELECT ax, bx FROM read_csv('$T/o$n/part-*.csv', header = true, all_varchar = true);
CREATE VIEW want AS SELECT CAST(a.x AS VARCHAR) AS ax, CAST(b.x AS VARCHAR) AS bx FROM a JOIN b ON $dc;
SELECT (SELECT count(*) FROM want), (SELECT count(*) FROM (SELECT * FROM want EXCEPT ALL SELECT * FROM got)),
       (SELECT count(*) FROM (SELECT * FROM got EXCEPT ALL SELECT * FROM want))" > "$T/cmp"
    read -r want missing extra < "$T/cmp"
    [ "$want" -gt 50 ] && [ "$missing" = 0 ] && [ "$extra" = 0 ] ||
        { echo "FAIL: form $n ($c): DuckDB has $want rows; sluice misses $missing and adds $extra"; exit 1; }
done
echo "ok: $n interval-join condition forms equal DuckDB's rows"
