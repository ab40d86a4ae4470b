#!/usr/bin/env bash
# `make bench-nexmark`: the Nexmark queries of this directory, each run by
# `sluice run` (trigger availableNow, blackhole sink) over the same
# generated events on one core, then the windowed and join queries checked
# against DuckDB at the same size (check.sh). Prints a table:
#
#   query  events  wall s  cpu s  events/s/core  p50 ms  p99 ms  peak RSS  out rows  DuckDB
#
# events/s/core is events / (user + sys CPU seconds) of the pinned process,
# which a busy machine does not distort the way wall time is; wall-clock
# events/s is in the TSV. p50/p99 are over the durations of the batches
# that read input, from the progress lines `sluice run` prints (one per
# micro-batch, the durationMs of its progress report). Peak RSS is the
# child's maximum resident set (/usr/bin/time, i.e. getrusage).
#
# Environment: NEXMARK_EVENTS (default 10000000), NEXMARK_BATCH (events per
# micro-batch, default 100000 = 10 s of event time), NEXMARK_QUERIES (default: every qN.sql),
# NEXMARK_CHECK=0 skips the DuckDB check, NEXMARK_OUT (default
# build/bench/nexmark) receives results.tsv, the progress logs and the
# check's work files (removed afterwards).
#
# A query the engine cannot plan yet (its `sluice explain` fails) is skipped
# with the engine's reason and the file's own NOT RUNNABLE note.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
SLUICE=${SLUICE:-$ROOT/build/sluice}
EVENTS=${NEXMARK_EVENTS:-10000000}
BATCH=${NEXMARK_BATCH:-100000}
OUT=${NEXMARK_OUT:-$ROOT/build/bench/nexmark}
QUERIES=${NEXMARK_QUERIES:-$(ls bench/nexmark/q*.sql | sed 's#.*/\(q[0-9]*\)\.sql#\1#' | sort -V | tr '\n' ' ')}
CHECKED="q3 q4 q5 q6 q7 q8 q15 q18 q19"   # windowed and join queries, the update-mode ones (q4, q15, q18, q19)
mkdir -p "$OUT"
[ -x "$SLUICE" ] || { echo "bench-nexmark: $SLUICE is not built (make -j2)"; exit 1; }
[ -x /usr/bin/time ] || { echo "bench-nexmark: /usr/bin/time is needed for peak RSS (apt-get install time)"; exit 1; }
PIN=() pinned="not pinned (no taskset)"
if command -v taskset >/dev/null && taskset -c 0 true 2>/dev/null; then PIN=(taskset -c 0) pinned="pinned to core 0 (taskset -c 0)"; fi

echo "Nexmark: $EVENTS events per query, $BATCH events per micro-batch, $pinned"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo

TSV=$OUT/results.tsv
printf 'query\tevents\twall_s\tcpu_s\tevents_per_s_wall\tevents_per_cpu_s\tp50_ms\tp99_ms\tpeak_rss_mb\tout_rows\tbatches\tstatus\n' > "$TSV"
declare -A SKIP

for q in $QUERIES; do
    sql=bench/nexmark/$q.sql
    [ -f "$sql" ] || { echo "$q: no $sql" >&2; continue; }
    if ! why=$("$SLUICE" explain "$sql" --var EVENTS="$EVENTS" --var BATCH="$BATCH" 2>&1 >/dev/null); then
        # the file's own note: the comment paragraph from "NOT RUNNABLE" on
        note=$(awk '/NOT RUNNABLE/ { on = 1 } on && !/^--/ { exit } on && /^-- *$/ { exit } on { sub(/^-- */, ""); printf "%s ", $0 }' "$sql" |
               sed 's/NOT RUNNABLE YET: //; s/ *$//')
        why=$(head -1 <<<"$why")
        SKIP[$q]="${why#sluice: }${note:+ — $note}"
        printf '%s\t%s\t\t\t\t\t\t\t\t\t\tskipped\n' "$q" "$EVENTS" >> "$TSV"
        continue
    fi
    log=$OUT/$q.progress.log
    tm=$OUT/$q.time
    if ! "${PIN[@]}" /usr/bin/time -f '%e %U %S %M' -o "$tm" \
            "$SLUICE" run "$sql" --var EVENTS="$EVENTS" --var BATCH="$BATCH" 2> "$log"; then
        SKIP[$q]="FAILED: $(grep -v '^sluice: .* batch [0-9]*:' "$log" | tail -1)"
        printf '%s\t%s\t\t\t\t\t\t\t\t\t\tfailed\n' "$q" "$EVENTS" >> "$TSV"
        continue
    fi
    # /usr/bin/time appends its line after any "Command exited" note
    read -r wall user sys rss_kb < <(tail -1 "$tm")
    # progress lines: "sluice: NAME batch K: R rows in, O out, X rows/s, M ms, watermark …"
    awk -v q="$q" -v ev="$EVENTS" -v wall="$wall" -v cpu="$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" -v rss="$rss_kb" '
        /^sluice: .* batch [0-9]+: / {
            for (i = 1; i <= NF; i++) {
                if ($i == "rows" && $(i+1) == "in,") rin = $(i-1)
                if ($i == "out,") out += $(i-1)
                if ($i == "ms,") ms = $(i-1)
            }
            nb++
            if (rin > 0) d[++n] = ms
        }
        function pct(p,   k) { k = int(p * n + 0.999999); if (k < 1) k = 1; if (k > n) k = n; return d[k] }
        END {
            # insertion sort: n is the number of batches, small
            for (i = 2; i <= n; i++) { v = d[i]; for (j = i - 1; j >= 1 && d[j] > v; j--) d[j+1] = d[j]; d[j+1] = v }
            printf "%s\t%d\t%.2f\t%.2f\t%.0f\t%.0f\t%s\t%s\t%.1f\t%d\t%d\tok\n", q, ev, wall, cpu,
                   ev / (wall > 0 ? wall : 0.01), ev / (cpu > 0 ? cpu : 0.01),
                   n ? pct(0.50) : "", n ? pct(0.99) : "", rss / 1024, out, nb
        }' "$log" >> "$TSV"
done

declare -A CHECK
if [ "${NEXMARK_CHECK:-1}" != 0 ]; then
    todo=""
    for q in $CHECKED; do
        case " $QUERIES " in *" $q "*) [ -z "${SKIP[$q]:-}" ] && todo="$todo $q" ;; esac
    done
    if [ -n "$todo" ]; then
        echo "DuckDB check of$todo over $EVENTS events (bench/nexmark/check.sh):"
        ROOT=$ROOT SLUICE=$SLUICE NEXMARK_BATCH=$BATCH bench/nexmark/check.sh "$EVENTS" "$OUT/check" $todo > "$OUT/check.log" 2>&1
        crc=$?
        for q in $todo; do
            line=$(grep "^$q: " "$OUT/check.log" | head -1)
            case "$line" in
            "$q: ok"*) CHECK[$q]="equal" ;;
            "$q: FAIL"*) CHECK[$q]="DIFFERS" ;;
            *) [ $crc = 77 ] && CHECK[$q]="not run" || CHECK[$q]="error" ;;
            esac
        done
        cat "$OUT/check.log"
        echo
        rm -rf "$OUT/check"
    fi
fi

# the table
awk -F'\t' -v checks="$(for q in "${!CHECK[@]}"; do printf '%s=%s;' "$q" "${CHECK[$q]}"; done)" '
    BEGIN {
        n = split(checks, kv, ";")
        for (i = 1; i <= n; i++) if (kv[i] != "") { split(kv[i], p, "="); chk[p[1]] = p[2] }
        printf "| %-5s | %10s | %7s | %7s | %13s | %7s | %7s | %9s | %9s | %-7s |\n",
               "query", "events", "wall s", "cpu s", "events/s/core", "p50 ms", "p99 ms", "peak RSS", "out rows", "DuckDB"
        printf "|-------|-----------:|--------:|--------:|--------------:|--------:|--------:|----------:|----------:|---------|\n"
    }
    NR > 1 {
        c = ($1 in chk) ? chk[$1] : "-"
        if ($12 != "ok") { printf "| %-5s | %10s | %7s | %7s | %13s | %7s | %7s | %9s | %9s | %-7s |\n", $1, $2, "", "", $12, "", "", "", "", c; next }
        printf "| %-5s | %10d | %7.2f | %7.2f | %13s | %7s | %7s | %6.0f MB | %9d | %-7s |\n",
               $1, $2, $3, $4, sprintf("%.0f", $6), $7, $8, $9, $10, c
    }' "$TSV"
echo
for q in $QUERIES; do
    [ -n "${SKIP[$q]:-}" ] && echo "$q skipped: ${SKIP[$q]}"
done
echo "(results: $TSV)"
fail=0
for q in "${!CHECK[@]}"; do [ "${CHECK[$q]}" = DIFFERS ] || [ "${CHECK[$q]}" = error ] && fail=1; done
exit $fail
