#!/usr/bin/env bash
# sluice gen nexmark: writes the Nexmark events as JSON lines per table.
# Checks, with counts computed here independently of the generator: the
# 1 : 3 : 46 mix for an event count that is not a multiple of 50, ids that
# count up from 1000, bids/auctions that reference people and auctions that
# exist (or are within the generator's lead of 10), event times advancing at
# the configured rate, the standard average `extra`-padded sizes, valid JSON
# on every line, and byte-identical output from a second run.
set -u
: "${SLUICE:?}"
if ! "$SLUICE" gen nexmark --help >/dev/null 2>&1; then
    echo "skipped: 'sluice gen nexmark' is not wired into the command yet"
    exit 77
fi
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

N=123457
"$SLUICE" gen nexmark --events $N --out "$tmp/a" --rate 5000 || { echo "gen failed"; exit 1; }
"$SLUICE" gen nexmark --events $N --out "$tmp/b" --rate 5000 2>/dev/null || { echo "second gen failed"; exit 1; }
for t in person auction bid; do
    cmp -s "$tmp/a/$t.json" "$tmp/b/$t.json" || { echo "$t.json differs between runs"; exit 1; }
done

# Event i is a person when i % 50 == 0, an auction when 1 <= i % 50 <= 3.
full=$((N / 50)) rest=$((N % 50))
want_p=$((full + (rest > 0 ? 1 : 0)))
want_a=$((full * 3 + (rest > 4 ? 3 : (rest > 1 ? rest - 1 : 0))))
want_b=$((N - want_p - want_a))

"$PY" - "$tmp/a" $want_p $want_a $want_b <<'PYEOF' || exit 1
import json, sys, datetime
d, wp, wa, wb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def load(name):
    with open(f"{d}/{name}.json") as f:
        return [json.loads(line) for line in f]
P, A, B = load("person"), load("auction"), load("bid")
bad = []
if (len(P), len(A), len(B)) != (wp, wa, wb):
    bad.append(f"counts {len(P)},{len(A)},{len(B)} != {wp},{wa},{wb}")
if [p["id"] for p in P] != list(range(1000, 1000 + len(P))):
    bad.append("person ids are not 1000, 1001, ...")
if [a["id"] for a in A] != list(range(1000, 1000 + len(A))):
    bad.append("auction ids are not 1000, 1001, ...")
def ts(s):
    return datetime.datetime.strptime(s, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc)
base = datetime.datetime(2015, 7, 15, tzinfo=datetime.timezone.utc)
max_person, max_auction = 999 + len(P), 999 + len(A)
for b in B:
    if not (1000 <= b["auction"] <= max_auction + 10): bad.append(f"bid for unknown auction {b['auction']}"); break
    if not (1000 <= b["bidder"] <= max_person + 10): bad.append(f"bid by unknown person {b['bidder']}"); break
    if not (100 <= b["price"] <= 100000000): bad.append(f"price {b['price']}"); break
for a in A:
    if not (1000 <= a["seller"] <= max_person + 10): bad.append(f"unknown seller {a['seller']}"); break
    if a["reserve"] < a["initialBid"] or ts(a["expires"]) <= ts(a["dateTime"]): bad.append("auction fields"); break
# 5000 events/s: the last event (N-1) is at (N-1)/5000 s after the base.
last = max(ts(x["dateTime"]) for x in P + A + B)
want_last = base + datetime.timedelta(milliseconds=((len(P) + len(A) + len(B) - 1) * 200) // 1000)
if last != want_last: bad.append(f"last event time {last} != {want_last}")
times = [ts(b["dateTime"]) for b in B]
if times != sorted(times): bad.append("bid times go backwards")
# Flink's size model: fixed fields count 8 bytes each, strings their length.
avg_bid = sum(32 + len(b["extra"]) for b in B) / len(B)
avg_auction = sum(48 + len(a["itemName"]) + len(a["description"]) + len(a["extra"]) for a in A) / len(A)
avg_person = sum(8 + sum(len(p[k]) for k in ("name", "emailAddress", "creditCard", "city", "state", "extra")) for p in P) / len(P)
if abs(avg_bid - 100) > 2 or abs(avg_auction - 500) > 10 or abs(avg_person - 200) > 5:
    bad.append(f"average sizes {avg_person:.1f} {avg_auction:.1f} {avg_bid:.1f}")
hot = sum(1 for b in B if (b["auction"] - 1000) % 100 == 0) / len(B)
if not 0.45 < hot < 0.56: bad.append(f"hot auction share {hot:.3f}")
if bad:
    print("FAIL: " + "; ".join(bad)); sys.exit(1)
print(f"ok: {len(P)} persons, {len(A)} auctions, {len(B)} bids; sizes {avg_person:.1f}/{avg_auction:.1f}/{avg_bid:.1f}")
PYEOF

# Bad arguments are usage errors (exit 2).
"$SLUICE" gen nexmark --events -3 --out "$tmp/c" 2>/dev/null; rc=$?
[ $rc -eq 2 ] || { echo "negative --events gave exit $rc, expected 2"; exit 1; }
"$SLUICE" gen nexmark --out "$tmp/c" 2>/dev/null; rc=$?
[ $rc -eq 2 ] || { echo "missing --events gave exit $rc, expected 2"; exit 1; }
exit 0
