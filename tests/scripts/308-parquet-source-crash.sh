#!/usr/bin/env bash
# The Parquet file source under crashes: a query reads a Parquet sink's
# directory (30 sink batches, files rolled across batches, partitions) one
# sink batch per trigger, with a checkpoint, into a JSON file sink. It is
# killed with SIGKILL again and again — by SLUICE_CRASH_AT_STEP just before a
# random checkpoint/manifest write step, or at a random instant — and
# restarted until a run finishes. Its committed output must hold every input
# row exactly once (compared with the generator's rows by DuckDB), and
# restarts must have re-run a batch with its logged {"sinkBatch": …} offsets.
# The same with a plain directory of Parquet files ({"files": …} offsets).
set -eu
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$ROOT/build}" "${SLUICE:=$BUILD/sluice}"
command -v node >/dev/null || { echo "skip: node not installed"; exit 77; }
[ -d "$ROOT/tests/oracle/node_modules/@duckdb/node-api" ] || (cd "$ROOT/tests/oracle" && npm install --silent >/dev/null 2>&1) ||
    { echo "skip: @duckdb/node-api not installable"; exit 77; }
T=$(mktemp -d); pid=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
duck() { (cd "$ROOT/tests/oracle" && node sql_oracle.js "$1"); }
NFILES=30 PER=30
mkdir -p "$T/in"
/usr/bin/python3 - "$T/in" $NFILES $PER <<'PY'
import json, os, random, sys
d, n, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(308)
for f in range(n):
    p = os.path.join(d, "%03d.json" % f)
    with open(p, "w") as o:
        for k in range(per):
            i = f * per + k
            o.write(json.dumps({"id": i, "g": "abc"[i % 3], "v": r.uniform(-1000, 1000),
                                "s": "row %d %s" % (i, "x" * r.randint(0, 20))}) + "\n")
    os.utime(p, (1704067200 + f, 1704067200 + f))
PY
COLS="id BIGINT, g STRING, v DOUBLE, s STRING"
cat > "$T/write.sql" <<SQL
SET 'trigger' = 'availableNow';
CREATE SOURCE src ($COLS) WITH (connector = 'file', format = 'json', path = '$T/in', maxFilesPerTrigger = '1');
CREATE SINK w WITH (connector = 'parquet', path = '$T/sink', 'file.maxRows' = '50', partitionBy = 'g') AS SELECT * FROM src;
SQL
"$SLUICE" run "$T/write.sql" --quiet
# the same rows as a plain directory of Parquet files, one per input file
mkdir -p "$T/plain"
copies=
for f in $(seq 0 $((NFILES - 1))); do
    n=$(printf '%03d' "$f")
    copies="$copies COPY (SELECT * FROM read_json('$T/in/$n.json', columns = {id: 'BIGINT', g: 'VARCHAR', v: 'DOUBLE', s: 'VARCHAR'}))
          TO '$T/plain/$n.parquet' (FORMAT parquet);"
done
duck "$copies SELECT 1" >/dev/null
for f in $(seq 0 $((NFILES - 1))); do touch -d "@$((1704067200 + f))" "$T/plain/$(printf '%03d' "$f").parquet"; done

crash_runs() { # $1: source path, $2: run dir
    local C=$2 kills=0 runs=0 rc
    mkdir -p "$C"
    cat > "$C/q.sql" <<SQL
CREATE SOURCE pq ($COLS) WITH (connector = 'file', format = 'parquet', path = '$1', maxFilesPerTrigger = '1');
CREATE SINK o WITH (connector = 'file', format = 'json', path = '$C/out', checkpointLocation = '$C/ck',
                    trigger = 'availableNow') AS SELECT * FROM pq;
SQL
    RANDOM=308
    while [ $runs -lt 60 ]; do
        runs=$((runs + 1))
        if [ $((runs % 4)) -ne 0 ]; then
            SLUICE_CRASH_AT_STEP=$((1 + RANDOM % 30)) "$SLUICE" run "$C/q.sql" >> "$C/log" 2>&1 &
            pid=$!
        else
            "$SLUICE" run "$C/q.sql" >> "$C/log" 2>&1 &
            pid=$!
            # the instant of the kill (nothing waits on a result here)
            sleep "0.0$((RANDOM % 4))$((RANDOM % 10))"
            kill -9 $pid 2>/dev/null || true
        fi
        rc=0; wait $pid 2>/dev/null || rc=$?; pid=
        [ $rc -eq 0 ] && break
        [ $rc -eq 137 ] || { tail -5 "$C/log"; echo "FAIL: $2: run $runs ended with status $rc, not by SIGKILL"; exit 1; }
        kills=$((kills + 1))
    done
    [ $rc -eq 0 ] || timeout 60 "$SLUICE" run "$C/q.sql" >> "$C/log" 2>&1 || { tail -5 "$C/log"; echo "FAIL: $2: final run"; exit 1; }
    ! grep -q "Sanitizer" "$C/log" || { grep -A20 Sanitizer "$C/log" | head -40; echo "FAIL: sanitizer report"; exit 1; }
    [ $kills -ge 5 ] || { echo "FAIL: $2: only $kills kills landed; recovery was not tested"; exit 1; }
    duck "CREATE VIEW want AS SELECT * FROM read_json('$T/in/*.json', columns = {id: 'BIGINT', g: 'VARCHAR', v: 'DOUBLE', s: 'VARCHAR'});
      CREATE VIEW got AS SELECT * FROM read_json('$C/out/part-*.json', columns = {id: 'BIGINT', g: 'VARCHAR', v: 'DOUBLE', s: 'VARCHAR'});
      SELECT (SELECT count(*) FROM got), (SELECT count(DISTINCT id) FROM got),
        (SELECT count(*) FROM (SELECT * FROM want EXCEPT ALL SELECT * FROM got)),
        (SELECT count(*) FROM (SELECT * FROM got EXCEPT ALL SELECT * FROM want))" > "$C/cmp"
    read -r ng nd missing extra < "$C/cmp"
    [ "$ng" = $((NFILES * PER)) ] && [ "$nd" = "$ng" ] && [ "$missing" = 0 ] && [ "$extra" = 0 ] ||
        { echo "FAIL: $2: after $kills kills: $ng rows ($nd distinct ids) of $((NFILES * PER)); missing $missing, extra $extra"; exit 1; }
    reruns=$(grep -c "re-running a batch cut short" "$C/log" || true)
    [ "$reruns" -ge 1 ] || { echo "FAIL: $2: no restart re-ran a batch cut short"; exit 1; }
    echo "$2: $kills kills, $reruns re-runs"
}
a=$(crash_runs "$T/sink" "$T/from_sink")
b=$(crash_runs "$T/plain" "$T/from_plain")
echo "ok: every row exactly once after SIGKILLs (sink directory: ${a#*: }; plain directory: ${b#*: })"
