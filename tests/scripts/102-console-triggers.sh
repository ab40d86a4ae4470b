#!/usr/bin/env bash
# The console sink's layout and the bounded triggers (issue 2, items 6-7).
# The expected console text is built by a Python re-implementation of
# Spark's Dataset.showString as ConsoleSink calls it (numRows default 20,
# truncate = true: cells cut to 20 characters, 17 + "...", right-aligned;
# truncate = false: whole cells, left-aligned; column width at least 3,
# computed over the rows shown; "only showing top N rows" when more rows
# exist), with the "Batch: N" banner.  Triggers: 'once' reads everything
# available in one batch even with maxFilesPerTrigger (Spark's Trigger.Once
# ignores read limits); 'availableNow' reads it in batches that respect the
# limit; both stop by themselves.
set -eu
. "$(dirname "$0")/lib.sh"

# Three files, one per batch under availableNow; the cells as Spark renders
# them (a CSV empty field is NULL; doubles in Java's Double.toString form).
mkdir "$T/in"
printf 'k,x,d\nshort,1,1.5\nthis is a rather long string value,22,-0.25\n' > "$T/in/1.csv"
printf 'k,x,d\n,333,\nxé,4,1e20\nexactly twenty chars,5,0.0\nexactly twenty-one ch,6,2.0\n' > "$T/in/2.csv"
printf 'k,x,d\nlast,7,7.5\n' > "$T/in/3.csv"
touch -d @1700000000 "$T/in/1.csv"; touch -d @1700000001 "$T/in/2.csv"; touch -d @1700000002 "$T/in/3.csv"
cat > "$T/rows.py" <<'PY'
# per file: the rows as (k, x, d) display strings
FILES = [
    [("short", "1", "1.5"), ("this is a rather long string value", "22", "-0.25")],
    [("null", "333", "null"), ("xé", "4", "1.0E20"), ("exactly twenty chars", "5", "0.0"),
     ("exactly twenty-one ch", "6", "2.0")],
    [("last", "7", "7.5")],
]
PY

run() { # $1: sink options; stdout to $T/out, stderr to $T/err
    cat > "$T/q.sql" <<SQL
CREATE SOURCE s (k STRING, x INT, d DOUBLE) WITH (connector = 'file', path = '$T/in', format = 'csv', maxFilesPerTrigger = '1');
CREATE SINK o WITH (connector = 'console' $1) AS SELECT * FROM s;
SQL
    "$SLUICE" run "$T/q.sql" > "$T/out" 2> "$T/err" || { cat "$T/err"; fail "sluice run with$1"; }
}
expect() { # $1: batches as file groups ("0 1 2" = a batch per file, "012" = one batch), $2 numRows, $3 truncate
    /usr/bin/python3 - "$1" "$2" "$3" "$T" <<'PY'
import sys
sys.path.insert(0, sys.argv[4])
from rows import FILES
groups, num_rows, truncate = sys.argv[1].split(), int(sys.argv[2]), sys.argv[3] == "true"
def show(rows):
    header = ["k", "x", "d"]
    shown = rows[:num_rows]
    def cut(c):
        if truncate and len(c) > 20: return c[:17] + "..."
        return c
    cells = [header] + [[cut(c) for c in r] for r in shown]
    widths = [max(3, max(len(row[i]) for row in cells)) for i in range(3)]
    sep = "+" + "+".join("-" * w for w in widths) + "+"
    def line(row):
        return "|" + "|".join(c.rjust(w) if truncate else c.ljust(w) for c, w in zip(row, widths)) + "|"
    out = [sep, line(cells[0]), sep] + [line(r) for r in cells[1:]] + [sep]
    if len(rows) > num_rows:
        out.append("only showing top %d %s" % (num_rows, "row" if num_rows == 1 else "rows"))
    return "\n".join(out) + "\n"
text = ""
for b, g in enumerate(groups):
    rows = [r for f in g for r in FILES[int(f)]]
    text += "-------------------------------------------\nBatch: %d\n-------------------------------------------\n" % b
    text += show(rows) + "\n"
sys.stdout.write(text)
PY
}
check() { # $1 label, then expect's arguments
    local label=$1; shift
    expect "$@" > "$T/want"
    diff "$T/want" "$T/out" > "$T/diff" || { cat "$T/diff"; fail "$label: console output differs from Spark's layout"; }
}

run ", trigger = 'availableNow'"
check "availableNow, defaults" "0 1 2" 20 true
[ "$(grep -c '^sluice: o batch' "$T/err")" -eq 3 ] || { cat "$T/err"; fail "availableNow: expected 3 batches"; }

run ", trigger = 'availableNow', numRows = '2'"
check "numRows = 2" "0 1 2" 2 true

run ", trigger = 'availableNow', numRows = '1', truncate = 'false'"
check "numRows = 1, truncate = false" "0 1 2" 1 false

run ", trigger = 'once', truncate = 'false'"
check "once" "012" 20 false
[ "$(grep -c '^sluice: o batch' "$T/err")" -eq 1 ] || { cat "$T/err"; fail "once: expected exactly one batch"; }
grep -q "^sluice: o batch 0: 7 rows in, 7 out" "$T/err" || { cat "$T/err"; fail "once: the batch did not hold every file"; }
echo "ok: console layout (defaults, numRows, truncate) equals Spark's showString; 'once' one batch of everything, 'availableNow' per maxFilesPerTrigger"
