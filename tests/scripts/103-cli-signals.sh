#!/usr/bin/env bash
# The command line and the stop signals (issue 2, items 7-8): --version,
# --help for sluice and every command, an unknown command (exit 2); `sluice
# explain` shows each sink's output mode and streaming properties (stateful
# aggregate, how its state is bounded, the watermark); SIGINT and SIGTERM
# during a run of a rate source end the run with exit 0 after the current
# batch, every batch written is committed, the rate's values are each
# delivered exactly once across the stop and a restart from the checkpoint.
# Malformed SQL, unknown columns and functions and type errors in a later
# statement: exit 2, line:column and a caret, nothing started.
set -eu
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$ROOT/build}" "${SLUICE:=$BUILD/sluice}"
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 1. version and help
v=$("$SLUICE" --version) || fail "--version exited non-zero"
[[ "$v" =~ ^sluice\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "--version printed '$v'"
"$SLUICE" --help > "$T/help" || fail "--help exited non-zero"
for c in run explain test gen broker produce consume; do
    grep -q "^  $c " "$T/help" || fail "--help does not list $c"
    "$SLUICE" $c --help > "$T/chelp" 2>&1 || fail "sluice $c --help exited non-zero"
    grep -qi "usage: sluice $c" "$T/chelp" || { cat "$T/chelp"; fail "sluice $c --help shows no usage"; }
done
rc=0; "$SLUICE" frobnicate > /dev/null 2> "$T/err" || rc=$?
[ $rc -eq 2 ] || fail "an unknown command exited $rc, expected 2"
grep -q "unknown command 'frobnicate'" "$T/err" || fail "unknown command: unclear message"

# 2. explain: output modes and streaming properties, nothing run
cat > "$T/e.sql" <<SQL
CREATE SOURCE r (timestamp TIMESTAMP, value BIGINT, WATERMARK FOR timestamp AS timestamp - INTERVAL '5' SECOND)
  WITH (connector = 'rate', rowsPerSecond = '1000');
CREATE SINK a WITH (connector = 'console', 'output.mode' = 'update') AS SELECT value % 3 AS k, count(*) AS n FROM r GROUP BY value % 3;
CREATE SINK w WITH (connector = 'file', path = '$T/never', format = 'json') AS
  SELECT window_start, count(*) AS n FROM r GROUP BY window(timestamp, '10 seconds');
SQL
"$SLUICE" explain "$T/e.sql" > "$T/plan" 2>&1 || { cat "$T/plan"; fail "explain"; }
grep -q "^== Sink a \[console\] output mode update ==$" "$T/plan" || { cat "$T/plan"; fail "explain: sink a"; }
grep -q "^== Sink w \[file\] output mode append ==$" "$T/plan" || { cat "$T/plan"; fail "explain: sink w's default mode"; }
grep -q "StatefulAggregate .*(state kept: no watermark)" "$T/plan" || { cat "$T/plan"; fail "explain: unbounded state not shown"; }
grep -q "StatefulAggregate .*tumbling window 10 s.*(state evicted by watermark)" "$T/plan" || { cat "$T/plan"; fail "explain: window state"; }
grep -q "Scan r \[rate, streaming\] watermark timestamp - 5000 ms" "$T/plan" || { cat "$T/plan"; fail "explain: scan"; }
[ ! -e "$T/never" ] || fail "explain started a sink"

# 3. SIGINT / SIGTERM: exit 0 after the current batch; exactly once across
#    the stop and a restart
cat > "$T/r.sql" <<SQL
CREATE SOURCE r (timestamp TIMESTAMP, value BIGINT) WITH (connector = 'rate', rowsPerSecond = '2000');
CREATE SINK o WITH (connector = 'file', path = '$T/out', format = 'json', checkpointLocation = '$T/ck',
                    trigger = '100 milliseconds') AS SELECT value FROM r;
SQL
stop_with() { # $1 signal; $2 run number
    "$SLUICE" run "$T/r.sql" > /dev/null 2> "$T/run$2.err" &
    local pid=$! n0
    n0=$(ls "$T/ck/commits" 2>/dev/null | wc -l)
    for _ in $(seq 200); do [ "$(ls "$T/ck/commits" 2>/dev/null | wc -l)" -ge $((n0 + 3)) ] && break; sleep 0.05; done
    kill -"$1" $pid
    rc=0; wait $pid || rc=$?
    [ $rc -eq 0 ] || { cat "$T/run$2.err"; fail "SIG$1: exit $rc, expected 0"; }
    grep -q "^sluice: o batch" "$T/run$2.err" || { cat "$T/run$2.err"; fail "SIG$1: no batch ran"; }
}
stop_with INT 1
stop_with TERM 2
grep -q "resuming from checkpoint $T/ck" "$T/run2.err" || { cat "$T/run2.err"; fail "the second run did not resume"; }
/usr/bin/python3 - "$T" <<'PY' || fail "rows lost, duplicated or uncommitted"
import json, os, re, sys
T = sys.argv[1]
parts = sorted(f for f in os.listdir(T + "/out") if f.startswith("part-"))
commits = sorted(int(f) for f in os.listdir(T + "/ck/commits") if f.isdigit())
ids = sorted(int(re.match(r"part-(\d+)", f).group(1)) for f in parts)
assert ids and set(ids) <= set(commits), ("part files of uncommitted batches", sorted(set(ids) - set(commits)))
tmp = [f for f in os.listdir(T + "/out") if f.startswith(".")]
assert not tmp, ("temporary files left", tmp)
vals = sorted(json.loads(l)["value"] for f in parts for l in open(os.path.join(T, "out", f)))
assert vals == list(range(len(vals))), "values not 0..%d exactly once" % (len(vals) - 1)
print(len(vals), "values over", len(parts), "batches")
PY
# 4. a bad statement after a good sink: exit 2 with line, column and caret,
#    and nothing started (the good sink's directory is never created)
bad_sql() { # $1 the bad SELECT, $2 the expected message, $3 its column
    cat > "$T/b.sql" <<SQL
CREATE SOURCE r (timestamp TIMESTAMP, value BIGINT) WITH (connector = 'rate', rowsPerSecond = '10');
CREATE SINK good WITH (connector = 'file', path = '$T/good', format = 'json') AS SELECT value FROM r;
CREATE SINK bad WITH (connector = 'console') AS
  $1;
SQL
    rc=0; timeout 60 "$SLUICE" run "$T/b.sql" > /dev/null 2> "$T/b.err" || rc=$?
    [ $rc -eq 2 ] || { cat "$T/b.err"; fail "'$1': exit $rc, expected 2"; }
    grep -qF "b.sql:4:$3: $2" "$T/b.err" || { cat "$T/b.err"; fail "'$1': expected 4:$3: $2"; }
    [ "$(grep -A2 "b.sql:4:$3" "$T/b.err" | tail -1)" = "$(printf '%*s^' $(($3 + 1)) '')" ] ||
        { cat "$T/b.err"; fail "'$1': the caret is not under column $3"; }
    [ ! -e "$T/good" ] || fail "'$1': the good sink was started"
    cat "$T/b.err" >> "$T/run-bad.err"
}
bad_sql "SELECT nope FROM r" "unknown column nope" 10
bad_sql "SELECT frob(value) FROM r" "unknown function frob()" 10
bad_sql "SELECT value FROM r WHERE value + 1" "expected a BOOLEAN condition, got BIGINT" 29
bad_sql "SELECT value FROM r WHERE" "expected an expression" 28
! grep -q Sanitizer "$T"/run*.err || { grep -A5 Sanitizer "$T"/run*.err | head -30; fail "sanitizer report"; }
echo "ok: --version, --help, unknown command, explain; SQL errors exit 2 with a caret, nothing started; SIGINT and SIGTERM end a run with exit 0, every value once across the restart"
