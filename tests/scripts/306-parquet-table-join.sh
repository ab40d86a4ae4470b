#!/usr/bin/env bash
# Stream-static joins with a Parquet table: CREATE TABLE … format = 'parquet'
# over a DuckDB-written file (upper-case column names, a DECIMAL column read
# as DOUBLE, NULL labels, two row groups), loaded once; a stream of JSON
# files joined to it, inner and left outer, each file its own batch. DuckDB
# joins the same inputs in one batch query; the rows must be the same.
set -eu
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$ROOT/build}" "${SLUICE:=$BUILD/sluice}"
command -v node >/dev/null || { echo "skip: node not installed"; exit 77; }
[ -d "$ROOT/tests/oracle/node_modules/@duckdb/node-api" ] || (cd "$ROOT/tests/oracle" && npm install --silent >/dev/null 2>&1) ||
    { echo "skip: @duckdb/node-api not installable"; exit 77; }
T=$(mktemp -d); trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
mkdir -p "$T/ev" "$T/tab"
duck() { (cd "$ROOT/tests/oracle" && node sql_oracle.js "$1"); }

# 20 keys in the table; events use 25 (k20…k24 have no match) and NULL keys.
duck "COPY (SELECT 'k' || i::VARCHAR AS KEY, CASE WHEN i % 6 = 0 THEN NULL ELSE 'label-' || i::VARCHAR END AS Label,
             (i * 0.125 + 1)::DECIMAL(6,3) AS WEIGHT FROM range(20) r(i))
      TO '$T/tab/customers.parquet' (FORMAT parquet, ROW_GROUP_SIZE 10); SELECT 1" >/dev/null
for f in 0 1 2; do
    duck "COPY (SELECT i AS id, CASE WHEN i % 17 = 0 THEN NULL ELSE 'k' || (hash(i) % 25)::VARCHAR END AS k,
                 (hash(i * 3) % 10000)::DOUBLE / 100 AS amount FROM range($f * 200, $f * 200 + 200) r(i))
          TO '$T/ev/e$f.json' (FORMAT json); SELECT 1" >/dev/null
done
cat > "$T/q.sql" <<SQL
SET 'trigger' = 'availableNow';
CREATE TABLE cust (key STRING, label STRING, weight DOUBLE)
WITH (connector = 'file', format = 'parquet', path = '$T/tab');
CREATE SOURCE ev (id BIGINT, k STRING, amount DOUBLE)
WITH (connector = 'file', format = 'json', path = '$T/ev', maxFilesPerTrigger = '1');
CREATE SINK inner_out WITH (connector = 'file', format = 'json', path = '$T/inner') AS
SELECT ev.id, cust.label, ev.amount * cust.weight AS w FROM ev JOIN cust ON ev.k = cust.key;
CREATE SINK left_out WITH (connector = 'file', format = 'json', path = '$T/left') AS
SELECT ev.id, cust.key, cust.label FROM ev LEFT JOIN cust ON ev.k = cust.key;
SQL
"$SLUICE" run "$T/q.sql" --quiet
[ "$(ls "$T/inner" | grep -c '^part-')" -ge 3 ] || { echo "FAIL: expected a batch per event file"; ls "$T/inner"; exit 1; }

inputs="CREATE VIEW ev AS SELECT * FROM read_json('$T/ev/*.json', columns = {id: 'BIGINT', k: 'VARCHAR', amount: 'DOUBLE'});
CREATE VIEW cust AS SELECT KEY AS key, Label AS label, WEIGHT::DOUBLE AS weight FROM read_parquet('$T/tab/customers.parquet')"
cmp() { # $1: want query, $2: got view
    duck "$inputs; CREATE VIEW want AS $1; $2;
      SELECT (SELECT count(*) FROM want), (SELECT count(*) FROM got),
        (SELECT count(*) FROM (SELECT * FROM want EXCEPT ALL SELECT * FROM got)),
        (SELECT count(*) FROM (SELECT * FROM got EXCEPT ALL SELECT * FROM want))"
}
read -r nw ng missing extra <<< "$(cmp "SELECT ev.id, cust.label, ev.amount * cust.weight AS w FROM ev JOIN cust ON ev.k = cust.key" \
    "CREATE VIEW got AS SELECT * FROM read_json('$T/inner/part-*.json', columns = {id: 'BIGINT', label: 'VARCHAR', w: 'DOUBLE'})")"
[ "$nw" -gt 300 ] && [ "$nw" = "$ng" ] && [ "$missing" = 0 ] && [ "$extra" = 0 ] ||
    { echo "FAIL: inner join: DuckDB $nw rows, sluice $ng; missing $missing, extra $extra"; exit 1; }
read -r nw2 ng2 missing extra <<< "$(cmp "SELECT ev.id, cust.key, cust.label FROM ev LEFT JOIN cust ON ev.k = cust.key" \
    "CREATE VIEW got AS SELECT * FROM read_json('$T/left/part-*.json', columns = {id: 'BIGINT', key: 'VARCHAR', label: 'VARCHAR'})")"
[ "$nw2" = 600 ] && [ "$ng2" = 600 ] && [ "$missing" = 0 ] && [ "$extra" = 0 ] ||
    { echo "FAIL: left join: DuckDB $nw2 rows, sluice $ng2; missing $missing, extra $extra"; exit 1; }
echo "ok: stream-static inner ($nw rows) and left outer (600 rows) joins with a Parquet table equal DuckDB's"
