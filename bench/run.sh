#!/usr/bin/env bash
# `make bench`: every benchmark, each printing its figures next to a
# reference measured in the same run. Never part of `make test`.
set -u
cd "$(dirname "$0")/.."
for b in bench/json.sh bench/parquet.sh bench/model.sh bench/kafka.sh bench/join.sh bench/agg.sh bench/evtime.sh bench/ckpt.sh; do
    [ -x "$b" ] || continue
    echo "== $b" >&2
    "$b" || echo "(benchmark $b failed)" >&2
done
