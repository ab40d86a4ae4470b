#!/usr/bin/env bash
# `make demo`: the lecture's running fraud report, live. Starts the
# lecture's producer (sluice gen transactions) on a free loopback port and
# runs examples/lecture/suspicious_complete.sql against it; the console
# shows Spark's "Batch: N" tables every 5 seconds. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
SLUICE=${SLUICE:-build/sluice}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
"$SLUICE" gen transactions --listen 127.0.0.1:0 --port-file "$work/port" --rate 20 >/dev/null 2>&1 &
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
echo "sluice demo: the lecture's suspicious-users report (complete mode, 5-second trigger); Ctrl-C to stop" >&2
"$SLUICE" run examples/lecture/suspicious_complete.sql --var HOST=127.0.0.1 --var PORT="$(cat "$work/port")"
