#!/usr/bin/env bash
# 'watermark.idleTimeout': a source that has gone silent stops holding the
# query's watermark back. Source b sends one row and goes quiet; source a
# keeps sending. A left outer join's NULL row for a's first row needs the
# watermark to pass it: with the option it comes once b has been idle for
# the timeout; without it (the control run, fed the same files) the
# watermark stays at b's and the NULL row never comes.
set -eu
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$ROOT/build}" "${SLUICE:=$BUILD/sluice}"
T=$(mktemp -d); pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$T"' EXIT

run() { # $1: name, $2: extra SET
    local d=$T/$1
    mkdir -p "$d/a" "$d/b"
    echo '{"k": "z", "ts": "2024-01-01 00:00:00"}' > "$d/b/0.json"
    echo '{"k": "x", "ts": "2024-01-01 00:00:00"}' > "$d/a/0.json"
    cat > "$d/q.sql" <<SQL
$2
CREATE SOURCE a (k STRING, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH (connector = 'file', path = '$d/a', format = 'json');
CREATE SOURCE b (k STRING, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH (connector = 'file', path = '$d/b', format = 'json');
CREATE SINK o WITH (connector = 'file', path = '$d/out', format = 'json') AS
SELECT a.k, b.k AS bk FROM a LEFT JOIN b ON a.k = b.k AND b.ts BETWEEN a.ts AND a.ts + INTERVAL '1' SECOND;
SQL
    "$SLUICE" run "$d/q.sql" --quiet > "$d/log" 2>&1 &
    pid=$!
    # a keeps sending, 10 s of event time per file, for up to 8 s
    for i in $(seq 1 40); do
        printf '{"k": "y%d", "ts": "2024-01-01 00:%02d:%02d"}\n' "$i" $((i * 10 / 60)) $((i * 10 % 60)) > "$d/a/$i.json"
        sleep 0.2
        if cat "$d"/out/part-*.json 2>/dev/null | grep -q '{"k":"x"}'; then break; fi
    done
    kill -INT $pid; wait $pid || true; pid=
}

run idle "SET 'watermark.idleTimeout' = '1 second';"
cat "$T"/idle/out/part-*.json 2>/dev/null | grep -q '{"k":"x"}' ||
    { echo "FAIL: with watermark.idleTimeout the NULL row of x never came"; cat "$T/idle/log"; exit 1; }
run control ""
if cat "$T"/control/out/part-*.json 2>/dev/null | grep -q '{"k":"x"}'; then
    echo "FAIL: without the option the silent source must hold the watermark back"; exit 1
fi
echo "ok: an idle source stops holding the watermark back only with watermark.idleTimeout"
