#!/usr/bin/env bash
# A line far over 'maxRecordBytes' is refused as it streams (issue 11): the
# file and socket sources keep at most the limit of it, count the rest
# without keeping it, and refuse it per mode; the lines after it are read.
# Here: 64 MB, 3 MB (CRLF) and 2 MB (last, no newline) lines with
# maxRecordBytes = 1 MB, in raw text and JSON, from a file and from a
# socket.  Checked: the rows and the malformed counts against what Python
# computes from the input, the FAILFAST message naming the full length,
# the corrupt-record column holding the line's first kilobyte, and the
# engine's peak RSS (/usr/bin/time) within 24 MB of the same query over the
# input with those lines cut short (a 64 MB line kept whole would need 64
# MB or more).
set -uo pipefail
: "${SLUICE:?}"
. "$(dirname "$0")/lib.sh"
need_python
[ -x /usr/bin/time ] || { echo "skip: /usr/bin/time not installed"; exit 77; }

# big/ holds the long lines, small/ the same lines cut to 10 bytes (the
# reference for memory). Lines: short, long, short, long CRLF, short, long
# without a newline at the end of the file.
"$PY" - "$T" <<'PY'
import json, os, sys
T = sys.argv[1]
MB = 1 << 20
def write(path, fmt, sizes):
    with open(path, "wb") as f:
        for i, (kind, n) in enumerate(sizes):
            last = i == len(sizes) - 1
            if fmt == "json":
                f.write(b'{"k":"'); body_n = n - 8
            else:
                body_n = n
            if kind == "short":
                f.write(b"after%d" % i if fmt == "text" else b"a%d" % i)
            else:
                c = b"xyz"[i % 3:i % 3 + 1]
                left = body_n
                while left > 0:
                    k = min(left, MB); f.write(c * k); left -= k
            if fmt == "json":
                f.write(b'"}')
            if kind == "crlf": f.write(b"\r")
            if not last: f.write(b"\n")
sizes = [("short", 0), ("long", 64 * MB), ("short", 0), ("crlf", 3 * MB), ("short", 0), ("long", 2 * MB)]
small = [(k, 10) if k != "short" else (k, 0) for k, _ in sizes]
for fmt in ("text", "json"):
    for name, sz in (("big", sizes), ("small", small)):
        os.makedirs(f"{T}/{name}.{fmt}")
        write(f"{T}/{name}.{fmt}/1.{fmt}", fmt, sz)
# Expected: per line, in order, its length without newline and '\r'.
exp = {}
for fmt in ("text", "json"):
    data = open(f"{T}/big.{fmt}/1.{fmt}", "rb").read().split(b"\n")
    exp[fmt] = [len(l) - l.endswith(b"\r") for l in data]
json.dump(exp, open(f"{T}/expected.json", "w"))
PY
[ -s "$T/expected.json" ] || fail "inputs not written"

query() { # fmt mode path out -> the SQL
    local cols sel opts
    case $1 in
    text) cols="value STRING"; sel="length(value) AS n"; opts="format = 'text'" ;;
    json) cols="k STRING, _corrupt_record STRING"; sel="length(k) AS n, substr(_corrupt_record, 1, 12) AS c, length(_corrupt_record) AS cn"
          opts="format = 'json'" ;;
    esac
    cat <<SQL
CREATE TABLE t ($cols) WITH (connector = 'file', path = '$3', $opts, maxRecordBytes = '1048576', mode = '$2');
CREATE SINK o WITH (connector = 'file', path = '$4', format = 'json') AS SELECT $sel FROM t;
SQL
}

# check fmt mode out err: rows and malformed count as computed from the input
check() {
    "$PY" - "$T" "$@" <<'PY' || exit 1
import json, glob, re, sys
T, fmt, mode, out, err = sys.argv[1:]
lens = json.load(open(f"{T}/expected.json"))[fmt]
LIMIT = 1 << 20
want, bad = [], 0
for n in lens:
    if n > LIMIT:
        bad += 1
        if mode == "PERMISSIVE":
            want.append("null" if fmt == "text" else "null corrupt 1024")
    else:
        want.append(str(n) if fmt == "text" else f"{n - 8} - -")
got = []
for p in glob.glob(f"{out}/part-*"):
    for line in open(p):
        r = json.loads(line)
        if fmt == "text":
            got.append("null" if r.get("n") is None else str(r["n"]))
        elif r.get("n") is None:
            ok = r.get("c", "").startswith('{"k":"') and set(r["c"][6:]) <= set("xyz")
            got.append(f"null {'corrupt' if ok else r.get('c')} {r.get('cn')}")
        else:
            got.append(f"{r['n']} - -")
e = open(err).read()
counted = sum(int(x) for x in re.findall(r"(\d+) malformed", e))
if sorted(got) != sorted(want) or counted != bad:
    print(f"FAIL: {fmt} {mode}: rows {sorted(got)} want {sorted(want)}; malformed {counted} want {bad}\n{e[-2000:]}")
    sys.exit(1)
print(f"file {fmt} {mode}: {len(got)} rows, {counted} malformed: ok")
PY
}

peak_kb() { sed -n 's/^peak_kb=//p' "$1" | tail -1; }

for fmt in text json; do
    for mode in PERMISSIVE DROPMALFORMED; do
        query $fmt $mode "$T/big.$fmt" "$T/out.$fmt.$mode" >"$T/$fmt.$mode.sql"
        query $fmt $mode "$T/small.$fmt" "$T/ref.$fmt.$mode" >"$T/ref.$fmt.$mode.sql"
        /usr/bin/time -f 'peak_kb=%M' -o "$T/$fmt.$mode.time" "$SLUICE" run "$T/$fmt.$mode.sql" \
            >/dev/null 2>"$T/$fmt.$mode.err" || fail "$fmt $mode: exit $?: $(tail -3 "$T/$fmt.$mode.err")"
        /usr/bin/time -f 'peak_kb=%M' -o "$T/ref.$fmt.$mode.time" "$SLUICE" run "$T/ref.$fmt.$mode.sql" \
            >/dev/null 2>"$T/ref.$fmt.$mode.err" || fail "$fmt $mode reference: $(tail -3 "$T/ref.$fmt.$mode.err")"
        check $fmt $mode "$T/out.$fmt.$mode" "$T/$fmt.$mode.err"
        big=$(peak_kb "$T/$fmt.$mode.time"); ref=$(peak_kb "$T/ref.$fmt.$mode.time")
        [ -n "$big" ] && [ -n "$ref" ] || fail "no peak RSS measured"
        [ $((big - ref)) -lt $((24 * 1024)) ] ||
            fail "file $fmt $mode: peak RSS $big KB with the 64 MB line, $ref KB without: the line was buffered"
        echo "file $fmt $mode: peak RSS $((big / 1024)) MB, $((ref / 1024)) MB without the long lines: ok"
    done
    query $fmt FAILFAST "$T/big.$fmt" "$T/out.$fmt.FAILFAST" >"$T/$fmt.FAILFAST.sql"
    "$SLUICE" run "$T/$fmt.FAILFAST.sql" >/dev/null 2>"$T/$fmt.FAILFAST.err" &&
        fail "$fmt FAILFAST: a 64 MB line did not fail the query"
    want=$("$PY" -c "import json,sys; l=json.load(open('$T/expected.json'))['$fmt'][1]; print(l)")
    grep -q "$want bytes.*over the limit maxRecordBytes = 1048576 (FAILFAST)" "$T/$fmt.FAILFAST.err" ||
        fail "$fmt FAILFAST: the error does not give the line's $want bytes and the limit: $(tail -3 "$T/$fmt.FAILFAST.err")"
    echo "file $fmt FAILFAST: failed naming the line's $want bytes and the limit: ok"
done

# At the limit exactly: lines of 1 MB and 1 MB - 1 are kept, also with a
# '\r' before their newline (not part of the record); 1 MB + 1 is refused,
# with or without one, and at the end of the file without a newline.
"$PY" - "$T" <<'PY'
import os, sys
T, L = sys.argv[1], 1 << 20
os.makedirs(f"{T}/edge")
with open(f"{T}/edge/1.txt", "wb") as f:
    f.write(b"a" * L + b"\n" + b"b" * (L + 1) + b"\n" + b"c" * (L - 1) + b"\r\n" + b"d" * L + b"\r\n"
            + b"e" * (L + 1) + b"\r\n" + b"x\n" + b"f" * (L + 1))
PY
cat >"$T/edge.sql" <<SQL
CREATE TABLE t (value STRING) WITH (connector = 'file', path = '$T/edge', format = 'text', maxRecordBytes = '1048576');
CREATE SINK o WITH (connector = 'file', path = '$T/out.edge', format = 'json') AS
SELECT substr(value, 1, 1) AS c, length(value) AS n FROM t;
SQL
"$SLUICE" run "$T/edge.sql" >/dev/null 2>"$T/edge.err" || fail "edge run: $(tail -3 "$T/edge.err")"
got=$(cat "$T"/out.edge/part-* | "$PY" -c '
import json, sys
print(" ".join(sorted(str(r.get("c", "-")) + str(r.get("n", "")) for r in map(json.loads, sys.stdin))))')
want="- - - a1048576 c1048575 d1048576 x1"
[ "$got" = "$want" ] || fail "lines at the limit: got $got, want $want"
echo "file: lines of exactly maxRecordBytes (with or without CR) kept, one byte more refused: ok"

# The socket source: a peer sends a short line, 64 MB without a newline in
# 1 MB pieces, then the newline and two short lines, then a line of
# exactly 1 MB whose '\r' comes before its newline, and closes.
cat >"$T/serve.py" <<'PY'
import socket, sys, time
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
open(sys.argv[1], "w").write(str(srv.getsockname()[1]))
c, _ = srv.accept()
try:
    c.sendall(b"before\n")
    for _ in range(64):
        c.sendall(b"w" * (1 << 20))
    c.sendall(b"\r\nafter1\nafter22\n")
    # a line of exactly the limit whose '\r' arrives before its newline
    c.sendall(b"d" * (1 << 20) + b"\r")
    time.sleep(0.3)
    c.sendall(b"\n")
except (BrokenPipeError, ConnectionResetError):
    pass  # FAILFAST: the query stopped reading
c.close()
PY
for mode in PERMISSIVE DROPMALFORMED FAILFAST; do
    rm -f "$T/port"
    "$PY" "$T/serve.py" "$T/port" &
    track $!
    wait_file "$T/port" 10 $! || fail "socket peer did not start"
    cat >"$T/sock.$mode.sql" <<SQL
CREATE SOURCE s (value STRING) WITH (connector = 'socket', host = '127.0.0.1', port = '$(cat "$T/port")',
  maxRecordBytes = '1048576', mode = '$mode');
CREATE SINK o WITH (connector = 'file', path = '$T/sock.$mode', format = 'json') AS SELECT length(value) AS n FROM s;
SQL
    rc=0
    /usr/bin/time -f 'peak_kb=%M' -o "$T/sock.$mode.time" "$SLUICE" run "$T/sock.$mode.sql" \
        >/dev/null 2>"$T/sock.$mode.err" || rc=$?
    if [ $mode = FAILFAST ]; then
        [ $rc -eq 1 ] || fail "socket FAILFAST exited $rc: $(tail -3 "$T/sock.$mode.err")"
        grep -q "a record of $((64 << 20)) bytes is over the limit maxRecordBytes = 1048576 (FAILFAST)" \
            "$T/sock.$mode.err" || fail "socket FAILFAST message: $(tail -3 "$T/sock.$mode.err")"
        echo "socket FAILFAST: failed naming the line's $((64 << 20)) bytes: ok"
    else
        [ $rc -eq 0 ] || fail "socket $mode exited $rc: $(tail -3 "$T/sock.$mode.err")"
        want="1048576 6 6 7"; [ $mode = PERMISSIVE ] && want="1048576 6 6 7 null"
        got=$(cat "$T/sock.$mode"/part-* | "$PY" -c 'import json,sys; print(" ".join(sorted(str(json.loads(l).get("n", "null")) for l in sys.stdin)))')
        [ "$got" = "$want" ] || fail "socket $mode: rows $got, want $want"
        bad=$(grep -o '[0-9]* malformed' "$T/sock.$mode.err" | awk '{s += $1} END {print s + 0}')
        [ "$bad" -eq 1 ] || fail "socket $mode: $bad malformed counted, want 1: $(tail -3 "$T/sock.$mode.err")"
        echo "socket $mode: rows $got, 1 malformed: ok"
    fi
    peak=$(peak_kb "$T/sock.$mode.time"); ref=$(peak_kb "$T/ref.text.PERMISSIVE.time")
    [ $((peak - ref)) -lt $((24 * 1024)) ] ||
        fail "socket $mode: peak RSS $peak KB, $ref KB for a file without long lines: the line was buffered"
    echo "socket $mode: peak RSS $((peak / 1024)) MB: ok"
done
! grep -q Sanitizer "$T"/*.err || { grep -A5 Sanitizer "$T"/*.err | head -30; fail "sanitizer report"; }
echo ok
