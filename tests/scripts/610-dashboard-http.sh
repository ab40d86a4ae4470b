#!/usr/bin/env bash
# The dashboard server (src/http) with a fake provider (tests/tools/
# dashboard_fake.c): /api/queries passes the provider's JSON through,
# /metrics is valid Prometheus text whose values Python recomputes from the
# JSON, the embedded front end is served, unknown paths give 404, other
# methods 405, a missing provider answer 503, a foreign Host 403, and the
# token rule holds (a non-loopback bind needs a token; with one, every
# request must carry it as a Bearer header or ?token=), a port in use is a
# clean error, and failing each allocation in turn never crashes or leaks.
set -euo pipefail
: "${BUILD:?}"
FAKE="$BUILD/dashboard_fake"
PY=/usr/bin/python3
[ -x "$FAKE" ] || { echo "FAIL: $FAKE not built (make all builds it)"; exit 1; }
[ -x "$PY" ] || { echo "skip: $PY not installed"; exit 77; }
command -v curl >/dev/null || { echo "skip: curl not installed"; exit 77; }
. "$(dirname "$0")/lib.sh"

# Starts the fake server with the given arguments; sets PORT. The tool
# prints its port once it listens, so reading that line is the readiness
# event (no polling).
start() {
    local fifo="$T/fifo.$RANDOM"
    mkfifo "$fifo"
    "$FAKE" "$@" >"$fifo" 2>>"$T/fake.err" &
    track $!
    local line=""
    read -r -t 20 line <"$fifo" || true
    rm -f "$fifo"
    PORT=${line##* }
    [[ $line == "listening on port "* && $PORT =~ ^[0-9]+$ ]] || { echo "FAIL: server did not start: $line $(cat "$T/fake.err")"; exit 1; }
}
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

start --addr 127.0.0.1:0
U="http://127.0.0.1:$PORT"
curl -sf "$U/api/queries" >"$T/q1.json"
curl -sf -D "$T/metrics.h" "$U/metrics" >"$T/metrics.txt"
curl -sf "$U/api/queries" >"$T/q3.json"
grep -qi '^content-type: text/plain; version=0.0.4' "$T/metrics.h" || fail "metrics content type: $(cat "$T/metrics.h")"

"$PY" - "$T" <<'PYEOF'
import json, re, sys, datetime
T = sys.argv[1]
q1 = json.load(open(f"{T}/q1.json")); q3 = json.load(open(f"{T}/q3.json"))
fails = []
def check(c, m):
    if not c: fails.append(m)
names = [q["name"] for q in q3["queries"]]
check(names == ["predictions", "statewide_counts"], f"queries {names}")
b1 = q1["queries"][0]["progress"][-1]["batchId"]; b3 = q3["queries"][0]["progress"][-1]["batchId"]
check(b3 == b1 + 2, f"batch ids did not advance per call: {b1} -> {b3}")

# Parse the exposition format: HELP/TYPE before a family's samples, every
# other line a valid sample, one block per family.
text = open(f"{T}/metrics.txt").read()
check(text.endswith("\n"), "metrics text does not end with a newline")
sample_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\} (\S+)$')
typed, seen_done, cur, samples = {}, set(), None, {}
for line in text.splitlines():
    if line.startswith("# HELP "):
        continue
    if line.startswith("# TYPE "):
        _, _, name, typ = line.split(" ", 3)
        check(name not in typed, f"family {name} typed twice")
        check(typ in ("gauge", "counter"), f"type {typ}")
        typed[name] = typ
        if cur: seen_done.add(cur)
        cur = name
        continue
    m = sample_re.match(line)
    if not m: fails.append(f"bad sample line {line!r}"); continue
    name, labels, value = m.groups()
    check(name == cur, f"sample {name} outside its family block")
    float(value)
    lab = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels))
    samples[(name, tuple(sorted(lab.items())))] = float(value)

# Expected values from the JSON of the call in between (batch b1 + 1),
# which the third answer still holds in its progress history.
def get(name, **lab):
    return samples.get((name, tuple(sorted(lab.items()))))
for q in q3["queries"]:
    n = q["name"]
    p = [r for r in q["progress"] if r["batchId"] == b1 + 1][0]
    check(get("sluice_query_batch_id", query=n) == p["batchId"], f"{n} batch id")
    check(get("sluice_query_input_rows", query=n) == p["numInputRows"], f"{n} input rows")
    check(abs(get("sluice_query_input_rows_per_second", query=n) - p["inputRowsPerSecond"]) < 1e-9, f"{n} input rps")
    check(abs(get("sluice_query_processed_rows_per_second", query=n) - p["processedRowsPerSecond"]) < 1e-9, f"{n} processed rps")
    check(abs(get("sluice_query_batch_duration_seconds", query=n, phase="triggerExecution") - p["durationMs"]["triggerExecution"] / 1000) < 1e-9, f"{n} duration")
    wm = datetime.datetime.strptime(p["eventTime"]["watermark"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
    check(get("sluice_query_watermark_seconds", query=n) == wm, f"{n} watermark {get('sluice_query_watermark_seconds', query=n)} != {wm}")
    for i, op in enumerate(p["stateOperators"]):
        lab = dict(query=n, operator=op["operatorName"], index=str(i))
        check(get("sluice_query_state_rows", **lab) == op["numRowsTotal"], f"{n} state rows {i}")
        check(get("sluice_query_state_rows_dropped_by_watermark", **lab) == op["numRowsDroppedByWatermark"], f"{n} dropped {i}")
    for s in p["sources"]:
        for topic, parts in s["endOffset"].items():
            for part, off in parts.items():
                check(get("sluice_source_end_offset", query=n, source=s["description"], topic=topic, partition=part) == off,
                      f"{n} offset {topic}/{part}")
    check(get("sluice_sink_output_rows", query=n, sink=p["sink"]["description"]) == p["sink"]["numOutputRows"], f"{n} sink rows")
    check(get("sluice_query_status", query=n, status="running") == 1, f"{n} status")
if fails:
    print("FAIL:\n  " + "\n  ".join(fails[:20])); sys.exit(1)
print(f"metrics: {len(samples)} samples in {len(typed)} families match /api/queries")
PYEOF

# The front end and its assets.
curl -sf -D "$T/index.h" "$U/" >"$T/index.html"
grep -qi '^content-type: text/html' "$T/index.h" || fail "/ is not HTML"
grep -qi '<html' "$T/index.html" || fail "/ has no html element"
for a in $(grep -o '\(src\|href\)="/[^"]*"' "$T/index.html" | sed 's/.*="\(.*\)"/\1/'); do
    [ "$(code "$U$a")" = 200 ] || fail "asset $a not served"
done
[ "$(code "$U/nope")" = 404 ] || fail "/nope not 404"
[ "$(code --path-as-is "$U/../../etc/passwd")" = 404 ] || fail "path traversal not 404"
[ "$(code "$U/api/queries/x")" = 404 ] || fail "/api/queries/x not 404"
[ "$(code -X POST -d x "$U/api/queries")" = 405 ] || fail "POST not 405"
[ "$(code -X DELETE "$U/")" = 405 ] || fail "DELETE not 405"
[ "$(code -H 'Host: attacker.example' "$U/api/queries")" = 403 ] || fail "foreign Host not refused"
[ "$(code -H "Host: localhost:$PORT" "$U/api/queries")" = 200 ] || fail "localhost Host refused"
[ "$(code -I "$U/metrics")" = 200 ] || fail "HEAD /metrics"

# No data from the engine: 503, and /metrics says so too.
start --addr 127.0.0.1:0 --no-data
[ "$(code "http://127.0.0.1:$PORT/api/queries")" = 503 ] || fail "no provider data not 503"
[ "$(code "http://127.0.0.1:$PORT/metrics")" = 503 ] || fail "no provider data /metrics not 503"

# Non-loopback binds need a token.
if "$FAKE" --addr 0.0.0.0:0 >"$T/nt.out" 2>"$T/nt.err"; then fail "0.0.0.0 without a token started"; fi
grep -qi token "$T/nt.err" || fail "refusal does not mention the token: $(cat "$T/nt.err")"
if "$FAKE" --addr 127.0.0.1:99999 >/dev/null 2>&1; then fail "port 99999 accepted"; fi

# A port in use is a clean error, not a crash.
if "$FAKE" --addr "127.0.0.1:$PORT" >/dev/null 2>"$T/inuse.err"; then fail "second bind of port $PORT started"; fi
grep -q "cannot listen" "$T/inuse.err" || fail "port in use: $(cat "$T/inuse.err")"

# Every allocation of the metrics rendering and of server start fails in
# turn: each ends in SL_OK or a clean out-of-memory error (leaks under ASan).
"$FAKE" --fault-loop >"$T/fault.out" 2>&1 || fail "fault loop: $(tail -5 "$T/fault.out")"
grep -q '^[0-9]* passed, 0 failed' "$T/fault.out" || fail "fault loop: $(tail -3 "$T/fault.out")"

start --addr 0.0.0.0:0 --token s3cret-token
U="http://127.0.0.1:$PORT"
[ "$(code "$U/api/queries")" = 401 ] || fail "no token not 401"
[ "$(code "$U/")" = 401 ] || fail "front end without token not 401"
[ "$(code -H 'Authorization: Bearer wrong' "$U/api/queries")" = 401 ] || fail "wrong token not 401"
[ "$(code -H 'Authorization: Bearer s3cret-toke' "$U/api/queries")" = 401 ] || fail "token prefix accepted"
[ "$(code "$U/api/queries?token=nope")" = 401 ] || fail "wrong ?token not 401"
[ "$(code -H 'Authorization: Bearer s3cret-token' "$U/api/queries")" = 200 ] || fail "Bearer token refused"
[ "$(code "$U/metrics?token=s3cret-token")" = 200 ] || fail "?token refused"
[ "$(code -H 'Host: anything.example' "$U/?token=s3cret-token")" = 200 ] || fail "token + foreign Host refused"

# Every server stops cleanly on SIGTERM (under ASan: without leaks).
for p in "${SL_PIDS[@]}"; do
    kill -TERM "$p"
    rc=0; wait "$p" || rc=$?
    [ "$rc" -eq 0 ] || fail "server $p exited $rc on SIGTERM: $(tail -5 "$T/fake.err")"
done
SL_PIDS=()
if grep -q Sanitizer "$T/fake.err"; then fail "sanitizer report: $(head -20 "$T/fake.err")"; fi
echo ok
