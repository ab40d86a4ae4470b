#!/usr/bin/env bash
# Column pruning into the Nexmark source (plan/colprune.c, sl_source.used):
# three sinks read different columns of one bid source — auction and price;
# extra; bidder where price is high — so the source makes the union of what
# they read and the watermark's dateTime, and leaves channel and url NULL. Every sink's rows must equal the
# same columns of `sluice gen nexmark`'s events (the generator seeded per
# event id, so skipping columns must not change the others). A query with a
# 'late.sink' turns pruning off; its rows are checked the same way.
set -u
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$ROOT/build}" "${SLUICE:=$BUILD/sluice}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
N=20000
"$SLUICE" gen nexmark --events $N --out "$T/ev" >/dev/null 2>&1 || { echo "FAIL: sluice gen nexmark"; exit 1; }

run() { # script-name late-sink?(0/1)
    local late=""
    [ "$2" = 1 ] && late=", 'late.sink' = '$T/$1-late'"
    cat > "$T/$1.sql" <<SQL
SET 'trigger' = 'availableNow';
CREATE SOURCE bid (
    auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING,
    dateTime TIMESTAMP, extra STRING,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = '$N', maxEventsPerTrigger = '5000');
CREATE SINK s1 WITH (connector = 'file', path = '$T/$1-s1', format = 'json'$late) AS
SELECT auction, price FROM bid;
CREATE SINK s2 WITH (connector = 'file', path = '$T/$1-s2', format = 'json') AS
SELECT extra FROM bid;
CREATE SINK s3 WITH (connector = 'file', path = '$T/$1-s3', format = 'json') AS
SELECT bidder FROM bid WHERE price > 100000;
SQL
    "$SLUICE" run "$T/$1.sql" --quiet 2> "$T/$1.err" || { echo "FAIL: $1: $(tail -1 "$T/$1.err")"; exit 1; }
}
run pruned 0
run whole 1

/usr/bin/python3 - "$T" <<'PY' || exit 1
import glob, json, sys
from collections import Counter
t = sys.argv[1]
ev = [json.loads(l) for l in open(f"{t}/ev/bid.json")]
want = {
    "s1": Counter((e["auction"], e["price"]) for e in ev),
    "s2": Counter((e["extra"],) for e in ev),
    "s3": Counter((e["bidder"],) for e in ev if e["price"] > 100000),
}
cols = {"s1": ("auction", "price"), "s2": ("extra",), "s3": ("bidder",)}
bad = 0
for run in ("pruned", "whole"):
    for s, c in cols.items():
        got = Counter()
        for f in glob.glob(f"{t}/{run}-{s}/part-*.json"):
            for l in open(f):
                r = json.loads(l)
                got[tuple(r.get(k) for k in c)] += 1
        ok = got == want[s] and sum(got.values()) > 0
        print(f"{run} {s}: {'ok' if ok else 'FAIL'}, {sum(got.values())} rows, {sum(want[s].values())} expected")
        bad += not ok
sys.exit(1 if bad else 0)
PY
