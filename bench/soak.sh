#!/usr/bin/env bash
# Soak run (`make soak`): the lecture's streaming pipeline — card
# transactions from `sluice gen transactions` over a socket, parsed as JSON
# and aggregated per user in update mode (examples/lecture/
# suspicious_update.sql) — runs for SOAK_SECONDS (default 600) under the
# ASan build, with input generated continuously at SOAK_RATE lines a second
# (default 2000).  The engine's RSS is sampled every second into
# build/soak/rss.csv; at the end the engine is stopped with SIGINT and the
# script prints the start, warm (after SOAK_WARM seconds, default a fifth of
# the run) and end RSS, the slope of a least-squares line through the
# samples after warm-up, whether that is flat, and whether AddressSanitizer
# or LeakSanitizer reported anything at exit.
#
# ASan holds freed memory in a quarantine before reusing it (256 MB by
# default), which would look like growth for minutes; the run uses a 16 MB
# quarantine so that RSS reflects live memory sooner.  Flat means the fitted
# growth over the remaining run is under 5% of the warm RSS (and under 8 MB).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SECS=${SOAK_SECONDS:-600}
RATE=${SOAK_RATE:-2000}
WARM=${SOAK_WARM:-$((SECS / 5))}
BIN=${SOAK_SLUICE:-build/asan/sluice}
OUT=build/soak
[ -x "$BIN" ] || { echo "soak: $BIN not built (make SANITIZE=1 all)"; exit 1; }
rm -rf "$OUT"; mkdir -p "$OUT"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; }
trap cleanup EXIT

# The generator listens on a port it picks and writes it to a file.
"$BIN" gen transactions --listen 127.0.0.1:0 --rate "$RATE" --seed 7 --port-file "$OUT/port" \
    >"$OUT/gen.out" 2>"$OUT/gen.err" &
gen=$!
pids+=($gen)
for _ in $(seq 1 300); do [ -s "$OUT/port" ] && break; sleep 0.1; done
PORT=$(cat "$OUT/port" 2>/dev/null)
[[ $PORT =~ ^[0-9]+$ ]] || { echo "soak: the generator did not start: $(cat "$OUT/gen.err")"; exit 1; }

export ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=16:abort_on_error=0
"$BIN" run examples/lecture/suspicious_update.sql --var HOST=127.0.0.1 --var PORT="$PORT" \
    >"$OUT/run.out" 2>"$OUT/run.err" &
eng=$!
pids+=($eng)
echo "t_s,rss_kb" >"$OUT/rss.csv"
start=$(date +%s)
for ((t = 0; t < SECS; t++)); do
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$eng/status" 2>/dev/null)
    [ -n "$rss" ] || { echo "soak: the engine exited early after $t s:"; tail -20 "$OUT/run.err"; exit 1; }
    echo "$t,$rss" >>"$OUT/rss.csv"
    # sample on the second, whatever the loop's own cost
    next=$((start + t + 1)); now=$(date +%s.%N)
    sleep "$(awk -v n="$next" -v c="$now" 'BEGIN { d = n - c; print (d > 0 ? d : 0) }')"
done
kill -INT "$eng"
wait "$eng"; rc=$?
pids=("$gen")
batches=$(grep -c "batch [0-9]*:" "$OUT/run.err")
rows=$(grep -o "batch [0-9]*: [0-9]* rows in" "$OUT/run.err" | awk '{s += $3} END {print s + 0}')
san=$(grep -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$OUT/run.err" | head -3)
awk -F, -v warm="$WARM" -v secs="$SECS" -v rc="$rc" -v batches="$batches" -v rows="$rows" -v san="$san" '
NR == 1 { next }
{ t = $1; r = $2 / 1024.0; if (NR == 2) first = r; last = r
  if (t == warm) warmr = r
  if (t >= warm) { n++; sx += t; sy += r; sxx += t * t; sxy += t * r } }
END {
  slope = (n > 1 && n * sxx - sx * sx) ? (n * sxy - sx * sy) / (n * sxx - sx * sx) : 0   # MB/s
  growth = slope * (secs - warm)
  flat = (growth < 0.05 * warmr && growth < 8) ? "yes" : "NO"
  printf "soak: %d s under ASan, %d batches, %d rows in; engine exit status %d\n", secs, batches, rows, rc
  printf "soak: RSS start %.1f MB, warm (t=%d s) %.1f MB, end %.1f MB\n", first, warm, warmr, last
  printf "soak: slope after warm-up %.3f MB/min (%.1f MB over the remaining %d s): flat: %s\n", slope * 60, growth, secs - warm, flat
  printf "soak: sanitizer reports at exit: %s\n", san == "" ? "none" : san
  exit (flat == "yes" && san == "" && rc == 0 && batches > 0) ? 0 : 1
}' "$OUT/rss.csv"
