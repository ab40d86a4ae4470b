#!/usr/bin/env bash
# The file source with format = 'parquet' over a directory that DuckDB fills
# while the query runs (one file per trigger; two files, then two more once
# the first two are out): every row of every file comes out exactly once,
# each batch holds exactly one file's rows, and the values equal
# DuckDB's own reading of the files. The files differ in column order, name
# case, compression and Parquet version, and one lacks a column (NULL); file
# INTEGER / DECIMAL columns are cast to the declared BIGINT / DOUBLE. A
# DuckDB-partitioned directory gives its partition columns back. Then the
# errors: a column whose type cannot be cast, a nested column declared flat,
# and damaged files (named in the error; skipped and counted with
# ignoreCorruptFiles).
set -eu
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$ROOT/build}" "${SLUICE:=$BUILD/sluice}"
command -v node >/dev/null || { echo "skip: node not installed"; exit 77; }
[ -d "$ROOT/tests/oracle/node_modules/@duckdb/node-api" ] || (cd "$ROOT/tests/oracle" && npm install --silent >/dev/null 2>&1) ||
    { echo "skip: @duckdb/node-api not installable"; exit 77; }
T=$(mktemp -d); pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
mkdir -p "$T/in"
duck() { (cd "$ROOT/tests/oracle" && node sql_oracle.js "$1"); }

# File n holds ids n*100 … n*100+99 (timestamps in whole milliseconds: the
# JSON sink writes milliseconds, as Spark's). Written under a hidden name and
# renamed, as a producer should, so the source never sees half a file.
cols="i::INTEGER AS ID, CASE WHEN i % 7 = 0 THEN NULL ELSE 'name-' || (i % 13)::VARCHAR || ' ✓' END AS Name,
      (i * 1.25 - 40)::DECIMAL(10,2) AS amount,
      make_timestamp(1700000000000000 + i * 1500000 + (i % 1000) * 1000) AS ts,
      CASE WHEN i % 5 = 0 THEN NULL ELSE i % 2 = 0 END AS flag, DATE '2024-01-01' + (i % 40)::INTEGER AS d"
write_file() { # $1: n, $2: outer select list, $3: COPY options
    duck "COPY (SELECT $2 FROM (SELECT $cols FROM range($1 * 100, $1 * 100 + 100) r(i))) TO '$T/in/.f$1.tmp'
          (FORMAT parquet, $3); SELECT 1" >/dev/null
    mv "$T/in/.f$1.tmp" "$T/in/f$1.parquet"
}
cat > "$T/q.sql" <<SQL
CREATE SOURCE s (id BIGINT, name STRING, amount DOUBLE, ts TIMESTAMP, flag BOOLEAN, d DATE, note STRING)
WITH (connector = 'file', format = 'parquet', path = '$T/in', maxFilesPerTrigger = '1');
CREATE SINK o WITH (connector = 'file', format = 'json', path = '$T/out') AS
SELECT id, name, amount, ts, flag, d, note FROM s;
SQL
await_parts() { # $1: number of output files to wait for (at most 30 s)
    for _ in $(seq 300); do
        [ "$(ls "$T/out" 2>/dev/null | grep -c '^part-')" -ge "$1" ] && return 0
        kill -0 $pid 2>/dev/null || { echo "FAIL: the query ended:"; cat "$T/log"; exit 1; }
        sleep 0.1
    done
    echo "FAIL: no $1 output files after 30 s"; ls "$T/out"; cat "$T/log"; exit 1
}
write_file 0 "*" "COMPRESSION snappy"
write_file 1 "d, flag, ts, amount, Name AS NAME, ID AS id" "COMPRESSION zstd, PARQUET_VERSION V2"
"$SLUICE" run "$T/q.sql" > "$T/log" 2>&1 &
pid=$!
await_parts 2
write_file 2 "ID, Name, amount, ts, d" "COMPRESSION gzip"
write_file 3 "*" "COMPRESSION uncompressed, ROW_GROUP_SIZE 30"
await_parts 4
kill -INT $pid; wait $pid || true; pid=
! grep -q "Sanitizer" "$T/log" || { echo "FAIL: sanitizer report:"; cat "$T/log"; exit 1; }
[ "$(ls "$T/out" | grep -c '^part-')" = 4 ] || { echo "FAIL: expected 4 batches, one per file"; ls "$T/out"; exit 1; }

# DuckDB reads the input files itself; sluice's output must be the same rows
# (flag NULL in file 2, which has no such column; note NULL everywhere), and
# each output file must hold exactly one input file's ids.
want="CREATE VIEW want AS
  SELECT ID::BIGINT AS id, Name AS name, amount::DOUBLE AS amount, ts, flag, d, NULL::VARCHAR AS note
    FROM read_parquet(['$T/in/f0.parquet', '$T/in/f1.parquet', '$T/in/f3.parquet'], union_by_name = true)
  UNION ALL SELECT ID::BIGINT, Name, amount::DOUBLE, ts, NULL::BOOLEAN, d, NULL::VARCHAR FROM read_parquet('$T/in/f2.parquet')"
got="CREATE VIEW got AS SELECT id, name, amount, CAST(ts AS TIMESTAMP) AS ts, flag, d, note, filename
  FROM read_json('$T/out/part-*.json', filename = true, format = 'newline_delimited',
    columns = {id: 'BIGINT', name: 'VARCHAR', amount: 'DOUBLE', ts: 'TIMESTAMPTZ', flag: 'BOOLEAN', d: 'DATE', note: 'VARCHAR'})"
duck "SET TimeZone = 'UTC'; $want; $got;
  SELECT (SELECT count(*) FROM want), (SELECT count(*) FROM got),
    (SELECT count(*) FROM (SELECT * FROM want EXCEPT ALL SELECT * EXCLUDE (filename) FROM got)),
    (SELECT count(*) FROM (SELECT * EXCLUDE (filename) FROM got EXCEPT ALL SELECT * FROM want)),
    (SELECT count(*) FROM (SELECT filename FROM got GROUP BY filename HAVING max(id) - min(id) <> 99 OR count(*) <> 100)),
    (SELECT count(*) FROM got WHERE note IS NOT NULL OR (id >= 200 AND id < 300 AND flag IS NOT NULL))" > "$T/cmp"
read -r nw ng missing extra badfiles badnull < "$T/cmp"
[ "$nw" = 400 ] && [ "$ng" = 400 ] && [ "$missing" = 0 ] && [ "$extra" = 0 ] && [ "$badfiles" = 0 ] && [ "$badnull" = 0 ] ||
    { echo "FAIL: DuckDB has $nw rows, sluice $ng; missing $missing, extra $extra, mixed output files $badfiles, non-NULL absent columns $badnull"; exit 1; }

# Hive partition directories as DuckDB writes them (escaped values, NULL as
# __HIVE_DEFAULT_PARTITION__): the files are found under them and the
# partition columns come from the directory names, cast to the declared types.
duck "COPY (SELECT i AS id, CASE WHEN i % 4 = 3 THEN NULL ELSE ['a', 'b/c', 'd e=f'][i % 4 + 1] END AS g,
             2020 + i % 3 AS yr FROM range(300) r(i)) TO '$T/hive' (FORMAT parquet, PARTITION_BY (g, yr)); SELECT 1" >/dev/null
cat > "$T/hive.sql" <<SQL
SET 'trigger' = 'availableNow';
CREATE SOURCE h (id BIGINT, g STRING, yr INT) WITH (connector = 'file', format = 'parquet', path = '$T/hive');
CREATE SINK o WITH (connector = 'file', format = 'json', path = '$T/hive_out') AS SELECT * FROM h;
SQL
"$SLUICE" run "$T/hive.sql" --quiet
duck "CREATE VIEW want AS SELECT id, g, yr::INTEGER AS yr FROM read_parquet('$T/hive/**/*.parquet', hive_partitioning = true);
  CREATE VIEW got AS SELECT * FROM read_json('$T/hive_out/part-*.json', columns = {id: 'BIGINT', g: 'VARCHAR', yr: 'INTEGER'});
  SELECT (SELECT count(*) FROM want), (SELECT count(*) FROM got), (SELECT count(DISTINCT g) FROM got),
    (SELECT count(*) FROM (SELECT * FROM want EXCEPT ALL SELECT * FROM got)),
    (SELECT count(*) FROM (SELECT * FROM got EXCEPT ALL SELECT * FROM want))" > "$T/hive.cmp"
read -r nw ng ng_groups missing extra < "$T/hive.cmp"
[ "$nw" = 300 ] && [ "$ng" = 300 ] && [ "$ng_groups" = 3 ] && [ "$missing" = 0 ] && [ "$extra" = 0 ] ||
    { echo "FAIL: Hive partitions: DuckDB $nw rows, sluice $ng ($ng_groups groups); missing $missing, extra $extra"; exit 1; }

# A column of a type that cannot be cast (BOOLEAN declared as DATE).
cat > "$T/bad_type.sql" <<SQL
SET 'trigger' = 'availableNow';
CREATE SOURCE s (id BIGINT, flag DATE) WITH (connector = 'file', format = 'parquet', path = '$T/in');
CREATE SINK o WITH (connector = 'console') AS SELECT * FROM s;
SQL
if "$SLUICE" run "$T/bad_type.sql" --quiet > "$T/bad_type.out" 2>&1; then
    echo "FAIL: a BOOLEAN file column read as DATE was accepted"; exit 1
fi
grep -q "f0.parquet" "$T/bad_type.out" && grep -q "column flag is BOOLEAN" "$T/bad_type.out" ||
    { echo "FAIL: the type error does not name the file and column:"; cat "$T/bad_type.out"; exit 1; }

# A nested column (a struct) declared as a flat one: an error saying so; the
# flat columns of the same file read fine.
mkdir -p "$T/nested"
duck "COPY (SELECT i AS id, {'a': i, 'b': 'x'} AS st, [i, i + 1] AS l FROM range(10) r(i)) TO '$T/nested/n.parquet' (FORMAT parquet); SELECT 1" >/dev/null
nested_sql() { cat <<SQL
SET 'trigger' = 'availableNow';
CREATE SOURCE s (id BIGINT $1) WITH (connector = 'file', format = 'parquet', path = '$T/nested');
CREATE SINK o WITH (connector = 'file', format = 'json', path = '$2') AS SELECT * FROM s;
SQL
}
nested_sql ", st STRING" "$T/nested_out1" > "$T/nested1.sql"
if "$SLUICE" run "$T/nested1.sql" --quiet > "$T/nested1.out" 2>&1; then echo "FAIL: a struct column read as STRING was accepted"; exit 1; fi
grep -q "n.parquet: column st is nested" "$T/nested1.out" || { echo "FAIL: the nested-column error:"; cat "$T/nested1.out"; exit 1; }
nested_sql "" "$T/nested_out2" > "$T/nested2.sql"
"$SLUICE" run "$T/nested2.sql" --quiet
[ "$(cat "$T"/nested_out2/part-*.json | wc -l)" = 10 ] || { echo "FAIL: the flat column of a file with nested ones"; exit 1; }

# Damaged files next to a good one: the first damaged file is named in the
# error; with ignoreCorruptFiles both are skipped whole and counted.
mkdir -p "$T/dmg"
cp "$T/in/f0.parquet" "$T/dmg/a-good.parquet"
head -c $(( $(stat -c %s "$T/in/f3.parquet") / 2 )) "$T/in/f3.parquet" > "$T/dmg/b-truncated.parquet"
{ printf 'PAR1'; head -c 3000 /dev/urandom; printf '\x20\x00\x00\x00PAR1'; } > "$T/dmg/c-garbage.parquet"
touch -d '2024-01-01 00:00:00' "$T/dmg/a-good.parquet"
touch -d '2024-01-01 00:00:01' "$T/dmg/b-truncated.parquet"
touch -d '2024-01-01 00:00:02' "$T/dmg/c-garbage.parquet"
dmg_sql() { cat <<SQL
SET 'trigger' = 'availableNow';
CREATE SOURCE s (id BIGINT, name STRING) WITH (connector = 'file', format = 'parquet', path = '$T/dmg' $1);
CREATE SINK o WITH (connector = 'file', format = 'json', path = '$2') AS SELECT * FROM s;
SQL
}
dmg_sql "" "$T/dmg_out1" > "$T/dmg1.sql"
if "$SLUICE" run "$T/dmg1.sql" --quiet > "$T/dmg1.out" 2>&1; then echo "FAIL: a truncated Parquet file was accepted"; exit 1; fi
grep -q "b-truncated.parquet" "$T/dmg1.out" || { echo "FAIL: the error does not name the damaged file:"; cat "$T/dmg1.out"; exit 1; }
grep -qi "sanitizer\|segmentation" "$T/dmg1.out" && { echo "FAIL: crash on a damaged file"; cat "$T/dmg1.out"; exit 1; }
dmg_sql ", ignoreCorruptFiles = 'true'" "$T/dmg_out2" > "$T/dmg2.sql"
"$SLUICE" run "$T/dmg2.sql" > "$T/dmg2.out" 2>&1 || { echo "FAIL: ignoreCorruptFiles still failed:"; cat "$T/dmg2.out"; exit 1; }
grep -q "2 malformed" "$T/dmg2.out" || { echo "FAIL: the two skipped files were not counted:"; cat "$T/dmg2.out"; exit 1; }
n=$(cat "$T"/dmg_out2/part-*.json | wc -l)
[ "$n" = 100 ] || { echo "FAIL: ignoreCorruptFiles delivered $n rows, the good file has 100"; exit 1; }
echo "ok: 400 rows from 4 DuckDB files added while running equal DuckDB's reading; type and damage errors name the file"
