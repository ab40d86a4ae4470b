#!/usr/bin/env bash
# Interval-join benchmark (issue 4): bench/join.sh [total_rows] [rows_per_batch]
# (default 10M rows: two 5M-event streams). Needs build/libsluice.a.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
libs=$(sed -n 's/^LIBS *:= *//p' "$ROOT/Makefile")
cc -std=c11 -D_GNU_SOURCE -O2 -g -I"$ROOT/include" -o "$tmp/join_bench" "$ROOT/bench/join_bench.c" "$BUILD/libsluice.a" $libs
pin=""; command -v taskset >/dev/null && pin="taskset -c 0"
$pin "$tmp/join_bench" "${1:-10000000}" "${2:-200000}"
