#!/usr/bin/env bash
# Round trip through sluice's own Parquet: a streaming query writes JSON input
# files into a Parquet sink (files rolled across batches by reopening them,
# Hive partitions with an escaped and a NULL value) under both spellings —
# connector = 'file', format = 'parquet' and connector = 'parquet' — which
# must produce byte-identical directories; meanwhile a second streaming query
# reads the sink directory with the Parquet file source (one sink batch per
# trigger, so it reads the rows each batch appended to files it has read
# before). What it reads must equal the input exactly (DuckDB compares).
# Then uncommitted files are planted in the sink directory — a valid part
# file the manifests do not list, half a file, garbage after a committed
# file's end — and a fresh reader still sees exactly the input.
set -eu
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$ROOT/build}" "${SLUICE:=$BUILD/sluice}"
command -v node >/dev/null || { echo "skip: node not installed"; exit 77; }
[ -d "$ROOT/tests/oracle/node_modules/@duckdb/node-api" ] || (cd "$ROOT/tests/oracle" && npm install --silent >/dev/null 2>&1) ||
    { echo "skip: @duckdb/node-api not installable"; exit 77; }
T=$(mktemp -d); wpid= rpid=
trap '[ -n "$wpid" ] && kill $wpid 2>/dev/null; [ -n "$rpid" ] && kill $rpid 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
mkdir -p "$T/in" "$T/sink"
duck() { (cd "$ROOT/tests/oracle" && node sql_oracle.js "$1"); }
NFILES=8 PER=60 TOTAL=480

gen() { # $1: file number; JSON lines, written under a hidden name and renamed
    /usr/bin/python3 - "$1" "$PER" > "$T/in/.e$1.tmp" <<'PY'
import json, random, sys, datetime
f, per = int(sys.argv[1]), int(sys.argv[2])
random.seed(f)
base = datetime.datetime(2024, 1, 1)
groups = ["a", "b/c", "d e", None]
for k in range(per):
    i = f * per + k
    r = {"id": i, "grp": groups[i % 4], "n": None if i % 9 == 0 else random.randint(-2**31, 2**31 - 1),
         "x": None if i % 7 == 0 else random.uniform(-1e6, 1e6),
         "s": None if i % 11 == 0 else "s%d-%s" % (i, "é✓" * (i % 3)),
         "ts": (base + datetime.timedelta(milliseconds=random.randint(0, 10**10))).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
         "flag": None if i % 5 == 0 else i % 2 == 0,
         "dt": (datetime.date(2000, 1, 1) + datetime.timedelta(days=random.randint(0, 9000))).isoformat()}
    print(json.dumps({k: v for k, v in r.items() if v is not None}))
PY
    mv "$T/in/.e$1.tmp" "$T/in/e$1.json"
}
COLS="id BIGINT, grp STRING, n INT, x DOUBLE, s STRING, ts TIMESTAMP, flag BOOLEAN, dt DATE"
cat > "$T/write.sql" <<SQL
CREATE SOURCE src ($COLS) WITH (connector = 'file', format = 'json', path = '$T/in', maxFilesPerTrigger = '1');
CREATE SINK w1 WITH (connector = 'file', format = 'parquet', path = '$T/sink', 'file.maxRows' = '50', partitionBy = 'grp') AS
SELECT * FROM src;
CREATE SINK w2 WITH (connector = 'parquet', path = '$T/sink2', 'file.maxRows' = '50', partitionBy = 'grp') AS
SELECT * FROM src;
SQL
read_sql() { # $1: output dir, $2: extra SET
    cat <<SQL
$2
CREATE SOURCE pq ($COLS) WITH (connector = 'file', format = 'parquet', path = '$T/sink', maxFilesPerTrigger = '1');
CREATE SINK r WITH (connector = 'file', format = 'json', path = '$1') AS SELECT * FROM pq;
SQL
}
read_sql "$T/rout" "" > "$T/read.sql"
rows_in() { cat "$1"/part-*.json 2>/dev/null | wc -l; }
alive() { kill -0 "$1" 2>/dev/null || { echo "FAIL: a query ended early:"; cat "$T"/*.log; exit 1; }; }

"$SLUICE" run "$T/read.sql" > "$T/read.log" 2>&1 &
rpid=$!
"$SLUICE" run "$T/write.sql" > "$T/write.log" 2>&1 &
wpid=$!
for f in $(seq 0 $((NFILES - 1))); do gen "$f"; done
# wait (at most 30 s) for the writer's last batch and the reader's last row
for _ in $(seq 300); do
    [ -f "$T/sink/_sluice_metadata/$((NFILES - 1))" ] && [ -f "$T/sink2/_sluice_metadata/$((NFILES - 1))" ] &&
        [ "$(rows_in "$T/rout")" -ge $TOTAL ] && break
    alive $wpid; alive $rpid
    sleep 0.1
done
kill -INT $wpid; wait $wpid || true; wpid=
kill -INT $rpid; wait $rpid || true; rpid=
! grep -q "Sanitizer" "$T/write.log" "$T/read.log" || { echo "FAIL: sanitizer report:"; cat "$T"/*.log; exit 1; }
[ "$(rows_in "$T/rout")" -ge $TOTAL ] || { echo "FAIL: the reader has $(rows_in "$T/rout") of $TOTAL rows after 30 s"; cat "$T"/*.log; exit 1; }

# both spellings of the sink wrote the same bytes; files were appended to
diff -r "$T/sink" "$T/sink2" > "$T/diff" || { echo "FAIL: connector = 'parquet' and format = 'parquet' differ:"; head "$T/diff"; exit 1; }
appended=$(cat "$T"/sink/_sluice_metadata/[0-9]* | grep -o '"path":"[^"]*"' | sort | uniq -d | wc -l)
[ "$appended" -gt 0 ] || { echo "FAIL: no file was appended to by a later batch (nothing rolled)"; exit 1; }

input="CREATE VIEW want AS SELECT * FROM read_json('$T/in/e*.json', format = 'newline_delimited',
  columns = {id: 'BIGINT', grp: 'VARCHAR', n: 'INTEGER', x: 'DOUBLE', s: 'VARCHAR', ts: 'TIMESTAMPTZ', flag: 'BOOLEAN', dt: 'DATE'})"
check() { # $1: reader output dir, $2: what
    duck "SET TimeZone = 'UTC'; $input; CREATE VIEW got AS SELECT * FROM read_json('$1/part-*.json', format = 'newline_delimited',
      columns = {id: 'BIGINT', grp: 'VARCHAR', n: 'INTEGER', x: 'DOUBLE', s: 'VARCHAR', ts: 'TIMESTAMPTZ', flag: 'BOOLEAN', dt: 'DATE'});
      SELECT (SELECT count(*) FROM want), (SELECT count(*) FROM got),
        (SELECT count(*) FROM (SELECT * FROM want EXCEPT ALL SELECT * FROM got)),
        (SELECT count(*) FROM (SELECT * FROM got EXCEPT ALL SELECT * FROM want)),
        (SELECT count(*) FROM got WHERE grp IS NULL)" > "$T/cmp"
    read -r nw ng missing extra nulls < "$T/cmp"
    [ "$nw" = $TOTAL ] && [ "$ng" = $TOTAL ] && [ "$missing" = 0 ] && [ "$extra" = 0 ] && [ "$nulls" = $((TOTAL / 4)) ] ||
        { echo "FAIL: $2: input $nw rows, read back $ng; missing $missing, extra $extra, NULL partition rows $nulls"; exit 1; }
}
check "$T/rout" "streaming reader"

# Uncommitted files: none of them may be read.
some=$(ls "$T/sink/grp=a/"*.parquet | head -1)
cp "$some" "$T/sink/grp=a/part-00099.parquet"
head -c $(( $(stat -c %s "$some") / 2 )) "$some" > "$T/sink/part-00098.parquet"
victim=$(ls "$T/sink/grp=b%2Fc/"*.parquet | tail -1)
head -c 5000 /dev/urandom >> "$victim"
read_sql "$T/rout2" "SET 'trigger' = 'availableNow';" > "$T/read2.sql"
"$SLUICE" run "$T/read2.sql" --quiet > "$T/read2.log" 2>&1 || { echo "FAIL: reading the sink directory:"; cat "$T/read2.log"; exit 1; }
check "$T/rout2" "reader after uncommitted files were added"
# control: the planted part file is valid data that a plain listing does read
cat > "$T/plain.sql" <<SQL
SET 'trigger' = 'availableNow';
CREATE SOURCE pq (id BIGINT) WITH (connector = 'file', format = 'parquet', path = '$T/sink/grp=a');
CREATE SINK r WITH (connector = 'file', format = 'json', path = '$T/plain') AS SELECT * FROM pq;
SQL
"$SLUICE" run "$T/plain.sql" --quiet
[ "$(rows_in "$T/plain")" -gt $((TOTAL / 4)) ] || { echo "FAIL: control: the planted file added no rows to a plain listing"; exit 1; }
echo "ok: $TOTAL rows round-trip through the Parquet sink ($appended files appended across batches, both spellings identical), uncommitted files unseen"
