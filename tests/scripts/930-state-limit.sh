#!/usr/bin/env bash
# 'state.maxBytes': a stateful operator whose state is over the limit after
# a batch fails the query with an error naming the operator and the limit
# (never an out-of-memory kill); the same query with a limit above its state,
# or none, runs to the end.  Set per sink (WITH) or per session (SET).
set -uo pipefail
: "${SLUICE:?}"
. "$(dirname "$0")/lib.sh"
need_python
mkdir "$T/in"
# 3 files of 2000 distinct keys each: the aggregate's state only grows.
"$PY" - "$T/in" <<'PY'
import json, sys
for f in range(3):
    with open(f"{sys.argv[1]}/{f:03d}.json", "w") as out:
        for i in range(2000):
            out.write(json.dumps({"k": f"key-{f}-{i}", "x": i}) + "\n")
PY
# $1: the sink's extra WITH options, $2: a leading statement. availableNow:
# the run ends once the three files are read.
job() {
        cat >"$T/job.sql" <<SQL
SET trigger = 'availableNow';
$2
CREATE SOURCE s (k STRING, x INT) WITH (connector = 'file', path = '$T/in', format = 'json',
  maxFilesPerTrigger = '1');
CREATE SINK o WITH (connector = 'file', path = '$T/out.$RANDOM', format = 'json', 'output.mode' = 'update' $1) AS
SELECT k, sum(x) AS total FROM s GROUP BY k;
SQL
        "$SLUICE" run "$T/job.sql" >"$T/out" 2>"$T/err"
    }

job "" "" || fail "no limit: $(tail -3 "$T/err")"
grep -q "batch 2:" "$T/err" || fail "no limit: three batches expected: $(cat "$T/err")"
echo "no limit: 3 batches: ok"
job ", 'state.maxBytes' = '1000000000'" "" || fail "1 GB limit: $(tail -3 "$T/err")"
echo "limit above the state: ok"

job ", 'state.maxBytes' = '50000'" "" && fail "a 50 kB limit did not stop a 6000-group aggregate"
msg=$(grep "state.maxBytes" "$T/err" | tail -1)
[ -n "$msg" ] || fail "the error does not name the limit: $(tail -3 "$T/err")"
echo "$msg" | grep -q "stateful operator aggregate" || fail "the error does not name the operator: $msg"
echo "$msg" | grep -q "= 50000" || fail "the error does not give the limit: $msg"
bytes=$(echo "$msg" | grep -o 'is [0-9]* bytes' | grep -o '[0-9]*')
[ -n "$bytes" ] && [ "$bytes" -gt 50000 ] || fail "reported state ($bytes) is not over the limit: $msg"
echo "over the limit: $msg"

job "" "SET 'state.maxBytes' = '50000';" && fail "the session's state.maxBytes was ignored"
grep -q "state.maxBytes' = 50000" "$T/err" || fail "session limit: $(tail -3 "$T/err")"
echo "session option: ok"
echo ok
