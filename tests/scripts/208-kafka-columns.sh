#!/usr/bin/env bash
# The Kafka source's columns and topic selection through `sluice run`
# (issue 5): key, value, topic, partition, offset, timestamp, timestampType
# next to the JSON-parsed fields, for messages kcat produced with known keys
# and partitions; `subscribe` with a comma-separated list and
# `subscribePattern` (a regular expression over topic names) pick exactly
# their topics.  Python checks every row against what was produced; the
# timestamps (CreateTime, timestampType 0) lie between the wall-clock times
# taken around the produce.
set -eu
. "$(dirname "$0")/200-kafka-lib.sh"
start_broker "ev.a:2,ev.b,other"

t0=$($PY -c 'import time; print(int(time.time() * 1000))')
printf 'k1:{"id":1}\nk2:{"id":2}\nk3:{"id":3}\n' | kcat -P -b "$BS" -t ev.a -K: -p 1
printf 'k4:{"id":4}\n' | kcat -P -b "$BS" -t ev.a -K: -p 0
printf 'k5:{"id":5}\n:{"id":6}\n' | kcat -P -b "$BS" -t ev.b -K:
printf ':{"id":8}\n' | kcat -P -b "$BS" -t ev.b -K: -Z
printf 'k7:{"id":7}\n' | kcat -P -b "$BS" -t other -K:
t1=$($PY -c 'import time; print(int(time.time() * 1000) + 1)')

q() { # $1 name, $2 topic option
    cat > "$T/$1.sql" <<SQL
CREATE SOURCE ev (id INT, key STRING, value STRING, topic STRING, partition INT, offset BIGINT,
                  timestamp TIMESTAMP, timestampType INT)
  WITH (connector = 'kafka', 'bootstrap.servers' = '$BS', $2, startingOffsets = 'earliest', format = 'json');
CREATE SINK o WITH (connector = 'file', path = '$T/out-$1', format = 'json', trigger = 'availableNow') AS
  SELECT id, key, value, topic, partition, offset, timestamp, timestampType FROM ev;
SQL
    "$SK" run "$T/$1.sql" > "$T/$1.log" 2>&1 || { cat "$T/$1.log"; echo "FAIL: sluice run ($1)"; exit 1; }
    cat "$T/out-$1"/part-*.json > "$T/$1.rows"
}
q list "subscribe = 'ev.a,ev.b'"
q pattern "subscribePattern = 'ev\\\\..*'"

$PY - "$T" "$t0" "$t1" <<'PY' || { echo "FAIL: Kafka columns"; exit 1; }
import json, sys, datetime
def ms(s):  # the JSON sink's timestamp text, UTC
    s = s.replace("T", " ").rstrip("Z")
    fmt = "%Y-%m-%d %H:%M:%S.%f" if "." in s else "%Y-%m-%d %H:%M:%S"
    d = datetime.datetime.strptime(s[:26], fmt).replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp() * 1000)
T, t0, t1 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
# (id, key, topic, partition, offset) as produced; id 6 has an empty key
# (kcat -K: with nothing before the colon), id 8 a NULL key (kcat -Z)
want = {(1, "k1", "ev.a", 1, 0), (2, "k2", "ev.a", 1, 1), (3, "k3", "ev.a", 1, 2), (4, "k4", "ev.a", 0, 0),
        (5, "k5", "ev.b", 0, 0), (6, "", "ev.b", 0, 1), (8, None, "ev.b", 0, 2)}
for name in ("list", "pattern"):
    rows = [json.loads(l) for l in open("%s/%s.rows" % (T, name))]
    got = {(r["id"], r.get("key"), r["topic"], r["partition"], r["offset"]) for r in rows}
    assert len(rows) == len(want) and got == want, (name, sorted(got, key=str), sorted(want, key=str))
    for r in rows:
        assert json.loads(r["value"]) == {"id": r["id"]}, (name, r)
        assert r["timestampType"] == 0, (name, r)
        assert t0 - 1000 <= ms(r["timestamp"]) <= t1 + 1000, (name, r["timestamp"], t0, t1)
print("ok")
PY
echo "ok: key, value, topic, partition, offset, timestamp, timestampType; subscribe list and subscribePattern"
