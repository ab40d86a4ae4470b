#!/usr/bin/env bash
# Benchmark (a) of issue 2: JSON -> columns throughput of sluice's parser
# against simdjson On-Demand and a memchr line split, on the same generated
# bytes (lecture records and reference bureau records, fixed seed).
# Usage: bench/json.sh [lecture_lines [bureau_lines [repeats]]]
# Times are CPU time of the benchmark thread (per-core figures that a busy
# machine does not distort); each figure is the best of `repeats` runs.
set -euo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory -s build/bench/json_bench >&2
echo "machine: $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
exec build/bench/json_bench "${1:-1000000}" "${2:-40000}" "${3:-3}"
