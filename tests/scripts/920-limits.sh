#!/usr/bin/env bash
# Input limits per source mode (issue 11): a record over 'maxRecordBytes'
# (default 16 MB) and a string field over 'maxCharsPerColumn' make the
# record malformed — PERMISSIVE: a row of NULLs (fields that parsed are
# kept for a long string) with the record's start in the corrupt-record
# column, counted; DROPMALFORMED: no row, counted; FAILFAST: the query fails
# with an error naming the limit.  For json, csv and raw text sources, and
# once at the default limit with a 17 MB line.  The expected rows are
# computed here from the input (Python), not taken from a run.
set -uo pipefail
: "${SLUICE:?}"
. "$(dirname "$0")/lib.sh"
need_python

# Inputs: records of every size class, in json, csv and text.
"$PY" - "$T" <<'PY'
import json, os, sys
T = sys.argv[1]
rows = [("a", "x"), ("b", "y" * 2000), ("c", "z" * 300), ("d", "w"), ("e", "v" * 90)]
for fmt in ("json", "csv", "text"):
    os.makedirs(f"{T}/{fmt}")
with open(f"{T}/json/1.json", "w") as f:
    for k, s in rows: f.write(json.dumps({"k": k, "s": s}) + "\n")
with open(f"{T}/csv/1.csv", "w") as f:
    f.write("k,s\n")
    for k, s in rows: f.write(f"{k},{s}\n")
with open(f"{T}/text/1.txt", "w") as f:
    for k, s in rows: f.write(f"{k}:{s}\n")
# Expected per (format, mode): rows as (k, len(s)) with None for NULL, and
# the malformed count. Limits: record 1000 bytes, string 100 chars.
MAXREC, MAXCH = 1000, 100
exp = {}
for fmt in ("json", "csv", "text"):
    lines = open(f"{T}/{fmt}/" + os.listdir(f"{T}/{fmt}")[0]).read().splitlines()
    if fmt == "csv": lines = lines[1:]
    for mode in ("PERMISSIVE", "DROPMALFORMED"):
        out, bad = [], 0
        for line, (k, s) in zip(lines, rows):
            if len(line.encode()) > MAXREC:
                bad += 1
                if mode == "PERMISSIVE": out.append("null null")
            elif fmt != "text" and len(s) > MAXCH:
                bad += 1
                if mode == "PERMISSIVE": out.append(f"{k} null")
            else:
                out.append(f"{k} {len(s)}" if fmt != "text" else f"null {len(line)}")
        exp[f"{fmt}.{mode}"] = (sorted(out), bad)
json.dump(exp, open(f"{T}/expected.json", "w"))
PY

run() { # fmt mode [extra options] -> writes $T/out.<fmt>.<mode>/ and .err, returns the exit status
    local fmt=$1 mode=$2 cols opts sel
    case $fmt in
        json|csv) cols="k STRING, s STRING, _corrupt_record STRING"; sel="k, length(s) AS n"
                  opts="format = '$fmt', maxCharsPerColumn = '100'" ;;
        text) cols="value STRING"; sel="CAST(NULL AS STRING) AS k, length(value) AS n"
              opts="format = 'text'" ;;
    esac
    cat >"$T/$fmt.$mode.sql" <<SQL
CREATE TABLE t ($cols) WITH (connector = 'file', path = '$T/$fmt', $opts,
  maxRecordBytes = '1000', mode = '$mode');
CREATE SINK o WITH (connector = 'file', path = '$T/out.$fmt.$mode', format = 'json') AS SELECT $sel FROM t;
SQL
    "$SLUICE" run "$T/$fmt.$mode.sql" >"$T/$fmt.$mode.out" 2>"$T/$fmt.$mode.err"
}

for fmt in json csv text; do
    for mode in PERMISSIVE DROPMALFORMED; do
        run $fmt $mode || fail "$fmt $mode: exit $?: $(tail -3 "$T/$fmt.$mode.err")"
        "$PY" - "$T" $fmt $mode <<'PY' || exit 1
import json, glob, re, sys
T, fmt, mode = sys.argv[1:]
want_rows, want_bad = json.load(open(f"{T}/expected.json"))[f"{fmt}.{mode}"]
got = []
for p in glob.glob(f"{T}/out.{fmt}.{mode}/part-*"):
    for line in open(p):
        r = json.loads(line)
        got.append(f"{r.get('k', 'null') if r.get('k') is not None else 'null'} {r.get('n', 'null') if r.get('n') is not None else 'null'}")
got.sort()
err = open(f"{T}/{fmt}.{mode}.err").read()
m = re.findall(r"(\d+) malformed", err)
bad = sum(int(x) for x in m)
if got != sorted(want_rows) or bad != want_bad:
    print(f"FAIL: {fmt} {mode}: rows {got} want {sorted(want_rows)}; malformed {bad} want {want_bad}\n{err}")
    sys.exit(1)
print(f"{fmt} {mode}: {len(got)} rows, {bad} malformed: ok")
PY
    done
    run $fmt FAILFAST && fail "$fmt FAILFAST: an oversized record did not fail the query"
    grep -q "maxRecordBytes = 1000" "$T/$fmt.FAILFAST.err" || fail "$fmt FAILFAST: the error does not name the limit: $(tail -3 "$T/$fmt.FAILFAST.err")"
    echo "$fmt FAILFAST: failed naming maxRecordBytes: ok"
done

# PERMISSIVE keeps only the start of an oversized record in the corrupt column.
cat >"$T/corrupt.sql" <<SQL
CREATE TABLE t (k STRING, s STRING, _corrupt_record STRING) WITH (connector = 'file', path = '$T/json',
  format = 'json', maxRecordBytes = '1000');
CREATE SINK o WITH (connector = 'file', path = '$T/out.corrupt', format = 'json') AS
SELECT length(_corrupt_record) AS c FROM t WHERE k IS NULL;
SQL
"$SLUICE" run "$T/corrupt.sql" >/dev/null 2>"$T/corrupt.err" || fail "corrupt run: $(tail -3 "$T/corrupt.err")"
grep -hq '{"c":1000}' "$T"/out.corrupt/part-* || fail "corrupt column of an oversized record: $(cat "$T"/out.corrupt/part-*)"

# The default limit is 16 MB: a 17 MB line is dropped, a 15 MB one is kept.
"$PY" - "$T" <<'PY'
import json, os, sys
T = sys.argv[1]
os.makedirs(f"{T}/big")
with open(f"{T}/big/1.json", "w") as f:
    f.write(json.dumps({"k": "big", "s": "q" * (17 << 20)}) + "\n")
    f.write(json.dumps({"k": "ok", "s": "q" * (15 << 20)}) + "\n")
PY
cat >"$T/big.sql" <<SQL
CREATE TABLE t (k STRING, s STRING) WITH (connector = 'file', path = '$T/big', format = 'json',
  mode = 'DROPMALFORMED');
CREATE SINK o WITH (connector = 'file', path = '$T/out.big', format = 'json') AS SELECT k, length(s) AS n FROM t;
SQL
"$SLUICE" run "$T/big.sql" >/dev/null 2>"$T/big.err" || fail "default limit run: $(tail -3 "$T/big.err")"
got=$(cat "$T"/out.big/part-*)
[ "$got" = "{\"k\":\"ok\",\"n\":$((15 << 20))}" ] || fail "default limit: got $got"
grep -q "1 malformed" "$T/big.err" || fail "default limit: the dropped record was not counted: $(cat "$T/big.err")"
echo "default maxRecordBytes (16 MB): 17 MB record dropped and counted, 15 MB kept: ok"
echo ok
