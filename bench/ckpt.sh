#!/usr/bin/env bash
# Checkpoint benchmark (issue 6): bench/ckpt.sh [rows] [rows per batch] [keys]
# (default 6M rows, 200k per batch, 100k keys).  The windowed aggregation
# (10 s tumbling windows, 5 s watermark, count + sum per key, append mode)
# over the rate source, one batch = one second of event time, as a
# 1-second trigger would make it; run without a checkpoint, with one
# (memory backend, RocksDB, RocksDB with a cache smaller than the open
# windows), and without again, in the same process
# and run (bench/ckpt_bench.c).  Prints CPU time and rows/s per core of each
# run, the checkpoint's cost per batch (mean and max ms: offsets, the
# operators' state delta or snapshot, commit, each an fsynced file), and
# that cost as a share of a 1-second trigger interval.  Needs
# build/libsluice.a.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
N=${1:-6000000} B=${2:-200000} K=${3:-100000}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
libs=$(sed -n 's/^LIBS *:= *//p' "$ROOT/Makefile")
cc -std=c11 -D_GNU_SOURCE -O2 -I"$ROOT/include" -I"$ROOT/src" -o "$tmp/ckpt_bench" "$ROOT/bench/ckpt_bench.c" \
    "$BUILD/libsluice.a" $libs
pin=""; command -v taskset >/dev/null && pin="taskset -c 0"

echo "machine: $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores; checkpoint on $(df -P "$tmp" | awk 'NR==2 {print $1}')"
echo "checkpoints: $N rows, $B rows per batch (1 s of event time), $K keys, 10 s windows, append mode, 1 core:"
# rocksdb:4000000: RocksDB with a 4 MB cache, smaller than the open
# windows' groups (about 10 MB), so groups leave the cache and are read back
for backend in memory rocksdb rocksdb:4000000; do
    mkdir -p "$tmp/$backend"
    $pin "$tmp/ckpt_bench" "$N" "$B" "$K" "$backend" "$tmp/$backend" > "$tmp/$backend.out"
    awk -v n="$N" -v be="$backend" '
        { cpu[$1] = $2; wall[$1] = $3; b[$1] = $4; mean[$1] = $5; max[$1] = $6; out[$1] = $7 }
        END {
            off = (cpu["off"] < cpu["off2"]) ? cpu["off"] : cpu["off2"]
            printf "  %-8s off: %6.2f s CPU %10.0f rows/s/core | on: %6.2f s CPU %10.0f rows/s/core, CPU overhead %+.1f%%\n",
                   be, off, n / off, cpu["on"], n / cpu["on"], (cpu["on"] / off - 1) * 100
            printf "           checkpoint per batch: mean %.1f ms, max %.1f ms over %d batches = %.1f%% of a 1-second trigger\n",
                   mean["on"], max["on"], b["on"], mean["on"] / 10
        }' "$tmp/$backend.out"
done
