#!/usr/bin/env bash
# `make demo`: the top-up prediction service of the reference notebook, the
# whole of it on this machine with one command:
#   Step 1  an embedded Kafka broker (`sluice broker`) and the producer
#           (`sluice produce`: 10-30 customers with their bureau rows per
#           batch, every 5 seconds, stamped with the send time as "ts");
#   Part 2A the model, trained by sluice on generated data
#           (examples/topup/train.sql), unless MODEL names one already;
#   Step 2  the streaming pipeline (examples/topup/pipeline.sql) with the
#           live dashboard;
#   Step 3  the consumer: the map on the dashboard, and the raw
#           Statewide_customer_count messages printed on the console.
# Ctrl-C (or SIGTERM) stops the producer first, then lets the pipeline finish
# its current batch and commit (Parquet output and checkpoint consistent),
# then the consumer and the broker. The children run in their own process
# groups (setsid), so a Ctrl-C on the terminal reaches only this script,
# which stops them in that order.
#
# `make demo-lecture` (this script with the argument `lecture`) runs the
# lecture's running fraud report instead.
#
# Environment:
#   DEMO_DIR        work directory (default build/demo): data/ (generated
#                   CSVs, kept between runs), model/, out/ (Parquet output
#                   and checkpoints, cleared at start: the broker is new)
#   DEMO_CUSTOMERS  customers to generate (default 20000)
#   DEMO_INTERVAL   pause between producer batches (default 5s)
#   DEMO_UI         dashboard address (default 127.0.0.1:8080)
#   DEMO_SECONDS    stop after this many seconds (default: until Ctrl-C on a
#                   terminal, 60 when there is no terminal, e.g. in CI)
#   DEMO_PIPELINE   the pipeline script (default examples/topup/pipeline.sql)
#   MODEL           a model to use instead of training one, e.g. the
#                   reference's ../shared/reference/spark_pipeline_model/topup_pipeline_model
set -euo pipefail
cd "$(dirname "$0")/.."
SLUICE=${SLUICE:-build/sluice}

if [ "${1:-}" = lecture ]; then
    work=$(mktemp -d)
    trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
    "$SLUICE" gen transactions --listen 127.0.0.1:0 --port-file "$work/port" --rate 20 >/dev/null 2>&1 &
    for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
    echo "sluice demo: the lecture's suspicious-users report (complete mode, 5-second trigger); Ctrl-C to stop" >&2
    exec "$SLUICE" run examples/lecture/suspicious_complete.sql --var HOST=127.0.0.1 --var PORT="$(cat "$work/port")"
fi

DIR=${DEMO_DIR:-build/demo}
CUSTOMERS=${DEMO_CUSTOMERS:-20000}
INTERVAL=${DEMO_INTERVAL:-5s}
UI=${DEMO_UI:-127.0.0.1:8080}
PIPELINE=${DEMO_PIPELINE:-examples/topup/pipeline.sql}
if [ -z "${DEMO_SECONDS:-}" ] && ! [ -t 0 ] && ! [ -t 1 ]; then DEMO_SECONDS=60; fi
say() { echo "demo: $*" >&2; }

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
rm -rf "$DIR/out" "$DIR/run"
mkdir -p "$DIR/run"

broker_pid= producer_pid= consumer_pid= pipeline_pid=
stop_all() {
    trap - INT TERM
    # Producer first, so no batch is left half sent; then the pipeline, which
    # finishes and commits the batch it is running; the broker last.
    for v in producer_pid pipeline_pid consumer_pid broker_pid; do
        local p=${!v}
        [ -n "$p" ] || continue
        kill -TERM "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
}
on_signal() { echo >&2; say "stopping"; stop_all; say "stopped; output in $DIR/out"; exit 0; }
trap on_signal INT TERM
trap stop_all EXIT

# Data: the generated copy of the LTFS top-up dataset (kept between runs).
if ! [ -s "$DIR/data/customer.csv" ] || [ "$(cat "$DIR/data/.customers" 2>/dev/null)" != "$CUSTOMERS" ]; then
    say "generating $CUSTOMERS customers into $DIR/data"
    "$SLUICE" gen topup --customers "$CUSTOMERS" --out "$DIR/data" --quiet
    echo "$CUSTOMERS" > "$DIR/data/.customers"
    rm -rf "$DIR/model"
fi

# Model: the one given, or trained on the generated data (kept between runs).
if [ -n "${MODEL:-}" ]; then
    MODEL_PATH=$(cd "$(dirname "$MODEL")" && pwd)/$(basename "$MODEL")
    say "scoring with $MODEL_PATH"
else
    MODEL_PATH=$DIR/model
    if ! [ -e "$MODEL_PATH/features.json" ]; then
        say "training the top-up model (examples/topup/train.sql)"
        "$SLUICE" run examples/topup/train.sql --var DATA="$DIR/data" --var MODEL="$MODEL_PATH" --quiet
    fi
fi

# Step 1: the broker and the producer.
setsid "$SLUICE" broker --topics customer_data:1,bureau_data:1,Statewide_customer_count:1 \
    --port-file "$DIR/run/port" > /dev/null 2> "$DIR/run/broker.err" &
broker_pid=$!
for _ in $(seq 200); do
    [ -s "$DIR/run/port" ] && break
    kill -0 "$broker_pid" 2>/dev/null || { cat "$DIR/run/broker.err" >&2; say "the broker did not start"; exit 1; }
    sleep 0.05
done
KAFKA=$(cat "$DIR/run/port")
say "Kafka broker at $KAFKA"

# Step 2: the pipeline, with the dashboard. Its stderr (progress lines) is
# shown and kept in run/pipeline.err.
start_pipeline() {
    setsid "$SLUICE" run "$1" --var KAFKA="$KAFKA" --var MODEL="$MODEL_PATH" \
        --var OUT="$DIR/out" --ui "$UI" 2> >(tee "$DIR/run/pipeline.err" >&2) &
    pipeline_pid=$!
}
start_pipeline "$PIPELINE"

# Step 3: the consumer's raw view (key = the batch's max window_end,
# value = [{"State": …, "target_customers": …}, …]).
setsid "$SLUICE" consume --bootstrap "$KAFKA" --topic Statewide_customer_count &
consumer_pid=$!

setsid "$SLUICE" produce --bootstrap "$KAFKA" \
    --topic customer_data="$DIR/data/customer.csv" --topic bureau_data="$DIR/data/bureau.csv" \
    --group-by ID --batch 10-30 --format json-array --ts now --interval "$INTERVAL" --loop &
producer_pid=$!

say "dashboard: http://$UI/   (Parquet predictions: $DIR/out/top_up_predictions)"
if [ -n "${DEMO_SECONDS:-}" ]; then
    say "running for $DEMO_SECONDS s"
    end=$((SECONDS + DEMO_SECONDS))
    while [ $SECONDS -lt $end ] && kill -0 "$pipeline_pid" 2>/dev/null; do sleep 1; done
else
    say "Ctrl-C to stop"
    while kill -0 "$pipeline_pid" 2>/dev/null; do sleep 1; done
fi
rc=0
if ! kill -0 "$pipeline_pid" 2>/dev/null; then
    wait "$pipeline_pid" || rc=$?
    pipeline_pid=
    say "the pipeline exited with status $rc"
fi
stop_all
say "stopped; output in $DIR/out"
exit $rc
