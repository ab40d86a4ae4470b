#!/usr/bin/env bash
# Soak run (`make soak`): a streaming pipeline runs for SOAK_SECONDS
# (default 600) under the ASan build while its input keeps coming; every
# second the engine's RSS (/proc) and its live heap (the allocator's count
# of bytes allocated and not freed, from the dashboard's /metrics:
# sluice_process_heap_live_bytes) are sampled into build/soak/rss.csv; at
# the end the engine is stopped with SIGINT and the script prints the
# start, warm (after SOAK_WARM seconds, default a fifth of the run) and end
# values of both, the slope of a least-squares line through the samples
# after warm-up, and whether AddressSanitizer, LeakSanitizer or UBSan
# reported anything at exit.
#
# The verdict "flat" is judged on the live heap: RSS also holds memory that
# was freed but is kept for reuse (ASan's quarantine and size-class caches,
# glibc's arenas), which rose for minutes after warm-up in runs whose live
# heap was flat (docs/RELIABILITY.md, "Soak").  RSS is still printed.
# Flat means the fitted heap growth over the rest of the run is under 5% of
# the warm heap and under 8 MB.  Exit status 0 only when flat, no sanitizer
# report, the engine exited 0 and it ran batches with rows.
#
# SOAK_PIPELINE picks the pipeline:
#   topup (default)  the top-up prediction service (examples/topup): an
#                    embedded Kafka broker, `sluice produce` sending 10-30
#                    generated customers with their bureau rows as JSON
#                    arrays every SOAK_INTERVAL (default 1s, five times the
#                    reference's pace) in a loop, the model trained first by
#                    examples/topup/train.sql on SOAK_CUSTOMERS (default
#                    5000) generated customers, and examples/topup/
#                    pipeline.sql: windowed aggregates, an interval join,
#                    XGBoost scoring, a Parquet sink and a transactional
#                    Kafka sink, both checkpointed.  Only the engine running
#                    pipeline.sql is measured; the broker, producer and
#                    training use the same binary.
#   lecture          the lecture's update-mode aggregate
#                    (examples/lecture/suspicious_update.sql) over `sluice
#                    gen transactions` on a socket at SOAK_RATE lines a
#                    second (default 2000).
#
# ASan holds freed memory in a quarantine before reusing it (256 MB by
# default); the run uses a 16 MB quarantine so that RSS stays near the live
# memory.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SECS=${SOAK_SECONDS:-600}
WARM=${SOAK_WARM:-$((SECS / 5))}
PIPELINE=${SOAK_PIPELINE:-topup}
BIN=${SOAK_SLUICE:-build/asan/sluice}
OUT=build/soak
[ -x "$BIN" ] || { echo "soak: $BIN not built (make SANITIZE=1 all)"; exit 1; }
rm -rf "$OUT"; mkdir -p "$OUT"
pids=()
# last started first: the producer and the engine stop before the broker
cleanup() { local i; for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null; wait "${pids[i]}" 2>/dev/null; done; }
trap cleanup EXIT
export ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=16:abort_on_error=0

# Waits for a helper process to write its port into a file.
wait_port() {
    local file=$1 pid=$2 what=$3
    for _ in $(seq 1 600); do
        [ -s "$file" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    local port
    port=$(cat "$file" 2>/dev/null)
    [[ $port =~ ^[0-9.:]+$ ]] || { echo "soak: $what did not start: $(tail -5 "$OUT/$what.err")" >&2; exit 1; }
    echo "$port"
}

case "$PIPELINE" in
topup)
    CUSTOMERS=${SOAK_CUSTOMERS:-5000}
    INTERVAL=${SOAK_INTERVAL:-1s}
    echo "soak: generating $CUSTOMERS customers and training the top-up model"
    "$BIN" gen topup --customers "$CUSTOMERS" --out "$OUT/data" --quiet >"$OUT/gen.out" 2>"$OUT/gen.err" ||
        { echo "soak: gen topup failed: $(tail -5 "$OUT/gen.err")"; exit 1; }
    "$BIN" run examples/topup/train.sql --var DATA="$OUT/data" --var MODEL="$OUT/model" --quiet \
        >"$OUT/train.out" 2>"$OUT/train.err" ||
        { echo "soak: training failed: $(tail -5 "$OUT/train.err")"; exit 1; }
    "$BIN" broker --topics customer_data:1,bureau_data:1,Statewide_customer_count:1 \
        --port-file "$OUT/port" >/dev/null 2>"$OUT/broker.err" &
    pids+=($!)
    KAFKA=$(wait_port "$OUT/port" "$!" broker) || exit 1
    "$BIN" run examples/topup/pipeline.sql --var KAFKA="$KAFKA" --var MODEL="$OUT/model" \
        --var OUT="$OUT/out" --ui 127.0.0.1:0 >"$OUT/run.out" 2>"$OUT/run.err" &
    eng=$!
    pids+=($eng)
    "$BIN" produce --bootstrap "$KAFKA" --topic customer_data="$OUT/data/customer.csv" \
        --topic bureau_data="$OUT/data/bureau.csv" --group-by ID --batch 10-30 \
        --format json-array --ts now --interval "$INTERVAL" --loop >"$OUT/produce.out" 2>"$OUT/produce.err" &
    pids+=($!)
    query=top_up_predictions   # the query whose batches are counted
    ;;
lecture)
    RATE=${SOAK_RATE:-2000}
    "$BIN" gen transactions --listen 127.0.0.1:0 --rate "$RATE" --seed 7 --port-file "$OUT/port" \
        >"$OUT/gen.out" 2>"$OUT/gen.err" &
    pids+=($!)
    PORT=$(wait_port "$OUT/port" "$!" gen) || exit 1
    "$BIN" run examples/lecture/suspicious_update.sql --var HOST=127.0.0.1 --var PORT="$PORT" \
        --ui 127.0.0.1:0 >"$OUT/run.out" 2>"$OUT/run.err" &
    eng=$!
    pids+=($eng)
    query=
    ;;
*) echo "soak: unknown SOAK_PIPELINE $PIPELINE (topup or lecture)"; exit 2 ;;
esac

# The dashboard's port, from the line `sluice: dashboard at http://H:P/`.
for _ in $(seq 1 600); do
    UI=$(grep -oE 'dashboard at http://[0-9.]+:[0-9]+' "$OUT/run.err" 2>/dev/null | head -1)
    [ -n "$UI" ] && break
    kill -0 "$eng" 2>/dev/null || break
    sleep 0.1
done
[ -n "$UI" ] || { echo "soak: the engine did not start its dashboard: $(tail -5 "$OUT/run.err")"; exit 1; }
METRICS="http://${UI#dashboard at http://}/metrics"

echo "soak: $PIPELINE pipeline, $SECS s, RSS and live heap every second into $OUT/rss.csv"
echo "t_s,rss_kb,heap_kb" >"$OUT/rss.csv"
start=$(date +%s)
for ((t = 0; t < SECS; t++)); do
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$eng/status" 2>/dev/null)
    [ -n "$rss" ] || { echo "soak: the engine exited early after $t s:"; tail -20 "$OUT/run.err"; exit 1; }
    # empty when the request fails; such a sample is left out of the fit
    heap=$(curl -s --max-time 2 "$METRICS" | awk '/^sluice_process_heap_live_bytes/ {printf "%d", $2 / 1024}')
    echo "$t,$rss,$heap" >>"$OUT/rss.csv"
    # sample on the second, whatever the loop's own cost
    next=$((start + t + 1)); now=$(date +%s.%N)
    sleep "$(awk -v n="$next" -v c="$now" 'BEGIN { d = n - c; print (d > 0 ? d : 0) }')"
done
kill -INT "$eng"
wait "$eng"; rc=$?
# progress lines: "sluice: [QUERY ]batch N: R rows in, ..."
lines=$(grep -E "${query:+$query }batch [0-9]+: [0-9]+ rows in" "$OUT/run.err")
batches=$(grep -c . <<<"$lines")
rows=$(grep -oE "batch [0-9]+: [0-9]+ rows in" <<<"$lines" | awk '{s += $3} END {print s + 0}')
san=$(grep -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$OUT/run.err" | head -3)
awk -F, -v warm="$WARM" -v secs="$SECS" -v rc="$rc" -v batches="$batches" -v rows="$rows" \
    -v san="$san" -v what="$PIPELINE" -v bin="$BIN" '
NR == 1 { next }
# fit(k, t, v): the sums of a least-squares line of series k after warm-up
function add(k, t, v) { n[k]++; sx[k] += t; sy[k] += v; sxx[k] += t * t; sxy[k] += t * v }
function slope(k) { d = n[k] * sxx[k] - sx[k] * sx[k]; return (n[k] > 1 && d) ? (n[k] * sxy[k] - sx[k] * sy[k]) / d : 0 }
{ t = $1; r = $2 / 1024.0; if (NR == 2) r0 = r; r1 = r
  if (t == warm) rw = r
  if (t >= warm) add("rss", t, r)
  if ($3 != "") { h = $3 / 1024.0; if (h0 == "") h0 = h; h1 = h; nh++
                  if (t >= warm && hw == "") hw = h
                  if (t >= warm) add("heap", t, h) } }
END {
  rs = slope("rss"); hs = slope("heap")          # MB/s
  rg = rs * (secs - warm); hg = hs * (secs - warm)
  flat = (nh > 0 && n["heap"] > 1 && hg < 0.05 * hw && hg < 8) ? "yes" : "NO"
  printf "soak: %s pipeline, %d s under %s, %d batches, %d rows in; engine exit status %d\n", what, secs, bin, batches, rows, rc
  printf "soak: RSS start %.1f MB, warm (t=%d s) %.1f MB, end %.1f MB; slope after warm-up %.3f MB/min (%.1f MB over the remaining %d s)\n", r0, warm, rw, r1, rs * 60, rg, secs - warm
  if (nh == 0) print "soak: live heap: no sample (the dashboard /metrics did not answer)"
  else {
    printf "soak: live heap start %.1f MB, warm (t=%d s) %.1f MB, end %.1f MB (%d of %d samples)\n", h0, warm, hw, h1, nh, NR - 1
    printf "soak: live heap slope after warm-up %.3f MB/min (%.1f MB over the remaining %d s): flat: %s\n", hs * 60, hg, secs - warm, flat
  }
  printf "soak: sanitizer reports at exit: %s\n", san == "" ? "none" : san
  exit (flat == "yes" && san == "" && rc == 0 && batches > 0 && rows > 0) ? 0 : 1
}' "$OUT/rss.csv"
