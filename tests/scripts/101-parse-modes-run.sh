#!/usr/bin/env bash
# Malformed records through `sluice run` (issue 2, "Bad input"): a JSON file
# source read one file per batch and a CSV socket source, under PERMISSIVE,
# DROPMALFORMED and FAILFAST.  PERMISSIVE keeps a row (NULL fields, the raw
# text in _corrupt_record); DROPMALFORMED drops it; FAILFAST stops the query
# with exit 1, naming the file and record, before the batch is committed.
# Each batch's progress line counts that batch's malformed records.  An
# unknown mode is refused at CREATE (exit 2, line:column, nothing started).
set -eu
. "$(dirname "$0")/lib.sh"

# two files, one per batch: batch 0 has 2 malformed records (a non-JSON line,
# a value that does not convert), batch 1 has 1 (a truncated object)
mkdir "$T/in"
printf '{"k":"a","x":1}\nnot json\n{"k":"b","x":"zz"}\n{"k":"b2","x":"22"}\n' > "$T/in/1.json"
printf '{"k":"c","x":3}\n{"k":"d","x":4\n' > "$T/in/2.json"
touch -d @1700000000 "$T/in/1.json"
touch -d @1700000001 "$T/in/2.json"
cat > "$T/q.sql" <<SQL
CREATE SOURCE s (k STRING, x INT, _corrupt_record STRING)
  WITH (connector = 'file', path = '$T/in', format = 'json', maxFilesPerTrigger = '1', mode = '\${MODE}');
CREATE SINK o WITH (connector = 'file', path = '\${OUT}', format = 'json', trigger = 'availableNow') AS SELECT * FROM s;
SQL

run_mode() { # $1 mode; leaves rc, $T/$1.err and the sink directory $T/out-$1
    rc=0
    "$SLUICE" run "$T/q.sql" --var MODE="$1" --var OUT="$T/out-$1" > /dev/null 2> "$T/$1.err" || rc=$?
}
rows() { cat "$T/out-$1"/part-*.json 2>/dev/null | sort; }

run_mode PERMISSIVE
[ $rc -eq 0 ] || { cat "$T/PERMISSIVE.err"; fail "PERMISSIVE exited $rc"; }
want='{"_corrupt_record":"not json"}
{"_corrupt_record":"{\"k\":\"d\",\"x\":4"}
{"k":"a","x":1}
{"k":"b","_corrupt_record":"{\"k\":\"b\",\"x\":\"zz\"}"}
{"k":"b2","x":22}
{"k":"c","x":3}'
[ "$(rows PERMISSIVE)" = "$want" ] || { rows PERMISSIVE; fail "PERMISSIVE rows"; }
grep -q "^sluice: o batch 0: 4 rows in, 4 out, .*, 2 malformed$" "$T/PERMISSIVE.err" || { cat "$T/PERMISSIVE.err"; fail "PERMISSIVE batch 0 progress"; }
grep -q "^sluice: o batch 1: 2 rows in, 2 out, .*, 1 malformed$" "$T/PERMISSIVE.err" || { cat "$T/PERMISSIVE.err"; fail "PERMISSIVE batch 1 progress (this batch's count, not the running total)"; }

run_mode DROPMALFORMED
[ $rc -eq 0 ] || { cat "$T/DROPMALFORMED.err"; fail "DROPMALFORMED exited $rc"; }
want='{"k":"a","x":1}
{"k":"b2","x":22}
{"k":"c","x":3}'
[ "$(rows DROPMALFORMED)" = "$want" ] || { rows DROPMALFORMED; fail "DROPMALFORMED rows"; }
grep -q "^sluice: o batch 0: 2 rows in, 2 out, .*, 2 malformed$" "$T/DROPMALFORMED.err" || { cat "$T/DROPMALFORMED.err"; fail "DROPMALFORMED batch 0 progress"; }
grep -q "^sluice: o batch 1: 1 rows in, 1 out, .*, 1 malformed$" "$T/DROPMALFORMED.err" || { cat "$T/DROPMALFORMED.err"; fail "DROPMALFORMED batch 1 progress"; }

run_mode failfast   # the mode is case-insensitive, as Spark's
[ $rc -eq 1 ] || { cat "$T/failfast.err"; fail "FAILFAST exited $rc, expected 1"; }
grep -q "source s: $T/in/1.json: malformed record in FAILFAST mode (record 2): not json" "$T/failfast.err" ||
    { cat "$T/failfast.err"; fail "FAILFAST message does not name the file, record and text"; }
! grep -q "batch 0:" "$T/failfast.err" || fail "FAILFAST reported batch 0 as done"
[ -z "$(rows failfast)" ] || { rows failfast; fail "FAILFAST committed rows of the failed batch"; }

# FAILFAST over clean files runs to the end
mkdir "$T/in2" && cp "$T/in/2.json" "$T/in2/" && head -1 "$T/in/1.json" > "$T/in2/2.json"
sed "s|$T/in'|$T/in2'|" "$T/q.sql" > "$T/q2.sql"
"$SLUICE" run "$T/q2.sql" --var MODE=FAILFAST --var OUT="$T/out-clean" > /dev/null 2> "$T/clean.err" ||
    { cat "$T/clean.err"; fail "FAILFAST over clean records failed"; }
! grep -q malformed "$T/clean.err" || fail "clean records counted as malformed"

# an unknown mode: refused at CREATE with its position, nothing started
rc=0
"$SLUICE" run "$T/q.sql" --var MODE=LENIENT --var OUT="$T/out-bad" > "$T/bad.out" 2> "$T/bad.err" || rc=$?
[ $rc -eq 2 ] || { cat "$T/bad.err"; fail "unknown mode exited $rc, expected 2"; }
grep -q "q.sql:2:.*option 'mode': 'LENIENT' is not PERMISSIVE, DROPMALFORMED or FAILFAST" "$T/bad.err" ||
    { cat "$T/bad.err"; fail "unknown mode: no position or unclear message"; }
grep -q '^ *\^$' "$T/bad.err" || { cat "$T/bad.err"; fail "unknown mode: no caret"; }
[ ! -e "$T/out-bad" ] || fail "unknown mode: the sink was started"

# CSV over a socket (Spark's socket source, one record per line): a record
# with too few or too many fields is malformed but keeps what it has
cat > "$T/serve.py" <<'PY'
import socket, sys
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
open(sys.argv[1], "w").write(str(srv.getsockname()[1]))
c, _ = srv.accept()
c.sendall(b"k,x\na,1\nb\nc,3,extra\nd,zz\ne,5\n")
c.close()
PY
serve() { rm -f "$T/port"; "$PY" "$T/serve.py" "$T/port" & track $!; wait_file "$T/port" 5 $! || fail "socket peer did not start"; }
cat > "$T/sock.sql" <<SQL
CREATE SOURCE s (k STRING, x INT, _corrupt_record STRING)
  WITH (connector = 'socket', host = '127.0.0.1', port = '\${PORT}', format = 'csv', mode = '\${MODE}');
CREATE SINK o WITH (connector = 'file', path = '\${OUT}', format = 'json') AS SELECT * FROM s;
SQL
serve
"$SLUICE" run "$T/sock.sql" --var PORT="$(cat "$T/port")" --var MODE=PERMISSIVE --var OUT="$T/out-sock" > /dev/null 2> "$T/sock.err" ||
    { cat "$T/sock.err"; fail "socket PERMISSIVE run"; }
grep -q "the socket was closed by the peer" "$T/sock.err" || { cat "$T/sock.err"; fail "socket end not reported"; }
want='{"k":"a","x":1}
{"k":"b","_corrupt_record":"b"}
{"k":"c","x":3,"_corrupt_record":"c,3,extra"}
{"k":"d","_corrupt_record":"d,zz"}
{"k":"e","x":5}'
got=$(cat "$T/out-sock"/part-*.json | sort)
[ "$got" = "$want" ] || { echo "$got"; fail "socket CSV PERMISSIVE rows"; }
total=$(grep -o ', [0-9]* malformed$' "$T/sock.err" | awk '{s += $2} END {print s + 0}')
[ "$total" -eq 3 ] || { cat "$T/sock.err"; fail "socket: $total malformed counted over the batches, expected 3"; }
serve
rc=0
"$SLUICE" run "$T/sock.sql" --var PORT="$(cat "$T/port")" --var MODE=FAILFAST --var OUT="$T/out-sock2" > /dev/null 2> "$T/sock2.err" || rc=$?
[ $rc -eq 1 ] || { cat "$T/sock2.err"; fail "socket FAILFAST exited $rc"; }
grep -q "malformed record in FAILFAST mode (record 2): b$" "$T/sock2.err" || { cat "$T/sock2.err"; fail "socket FAILFAST message"; }
wait
! grep -q Sanitizer "$T"/*.err || { grep -A5 Sanitizer "$T"/*.err | head -30; fail "sanitizer report"; }
echo "ok: PERMISSIVE, DROPMALFORMED, FAILFAST through sluice run (file and socket), per-batch malformed counts, unknown mode refused at CREATE"
