#!/usr/bin/env bash
# Truncated files, bad magic, bad offsets and lying page headers give an
# error, never a crash: every prefix length of a small file (cut at 97
# points), and single-byte corruptions at 160 positions (footer, page
# headers and data), through both readers.  Exit codes 0 (the damage hit
# only values) and 1 (an error) are fine; a signal or sanitizer report is
# not.
set -u
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$ROOT/build}"
PQ=$BUILD/pqtool
[ -x "$PQ" ] || { echo "skip: $PQ not built"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
"$PQ" gen "$T/ok.parquet" 300 snappy 1 100 11 > /dev/null || exit 1
"$PQ" dump "$T/ok.parquet" > /dev/null || { echo "FAIL: intact file unreadable"; exit 1; }
size=$(stat -c %s "$T/ok.parquet")
check() { # file what
    for mode in dump records; do
        "$PQ" "$mode" "$1" > /dev/null 2> "$T/err"
        rc=$?
        if [ $rc -gt 1 ] || grep -q Sanitizer "$T/err"; then
            echo "FAIL: $mode on $2 exited $rc"; cat "$T/err"; exit 1
        fi
    done
}
errors=0
for ((k = 0; k < 97; k++)); do
    len=$((size * k / 97))
    head -c "$len" "$T/ok.parquet" > "$T/cut.parquet"
    check "$T/cut.parquet" "a $len-byte prefix"
    "$PQ" dump "$T/cut.parquet" > /dev/null 2>&1 || errors=$((errors + 1))
done
[ $errors -eq 97 ] || { echo "FAIL: only $errors of 97 truncated files were refused"; exit 1; }
printf 'PAR2' | dd of="$T/ok.parquet" bs=1 seek=$((size - 4)) conv=notrunc status=none
"$PQ" dump "$T/ok.parquet" > /dev/null 2>&1 && { echo "FAIL: bad magic accepted"; exit 1; }
"$PQ" gen "$T/ok.parquet" 300 snappy 1 100 11 > /dev/null
for ((k = 0; k < 160; k++)); do
    pos=$(( (k * 7919 + k * k * 31) % size ))
    cp "$T/ok.parquet" "$T/flip.parquet"
    printf "\\x$(printf %02x $(( (k * 37 + 1) % 256 )))" | dd of="$T/flip.parquet" bs=1 seek=$pos conv=notrunc status=none
    check "$T/flip.parquet" "a byte changed at $pos"
done
echo "ok: damaged files gave errors, no crashes"
