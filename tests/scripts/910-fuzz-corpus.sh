#!/usr/bin/env bash
# Replays every fuzz corpus (seeds and past crashers) through its target's
# entry point linked with the ordinary library ($BUILD/fuzz_replay, no
# libFuzzer), so the release run and the ASan+UBSan run of `make test` both
# see each input: SQL scripts (parse, bind, plan, explain), model files
# (XGBoost JSON, bundles, Spark directories), JSON/CSV records, Parquet files
# and checkpoint files, and get_json_object on JSON text with a path.  A
# crash or a sanitizer report fails the test and names the input.  It also
# checks that every corpus is non-empty, so a target cannot silently lose
# its inputs.
set -uo pipefail
: "${BUILD:?}" "${ROOT:?}"
R="$BUILD/fuzz_replay"
[ -x "$R" ] || { echo "FAIL: $R not built (make all builds it)"; exit 1; }
cd "$ROOT"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=0
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export TMPDIR=$T
rc=0
for spec in sql:tests/fuzz/corpus/sql model:tests/fuzz/corpus/model \
            format:fuzz/corpus/format parquet:fuzz/corpus/parquet ckpt:fuzz/corpus/ckpt \
            jsonfn:tests/fuzz/corpus/jsonfn; do
    t=${spec%%:*} dir=${spec#*:}
    n=$(find "$dir" -maxdepth 1 -type f | wc -l)
    if [ "$n" -eq 0 ]; then echo "FAIL: corpus $dir is empty"; rc=1; continue; fi
    if out=$("$R" "$t" "$dir" 2>"$T/$t.err"); then
        echo "$out"
        got=${out##*: }; got=${got%% *}
        [ "$got" = "$n" ] || { echo "FAIL: $t replayed $got of $n inputs"; rc=1; }
    else
        echo "FAIL: $t crashed on $(grep '^replaying ' "$T/$t.err" | tail -1 | cut -d' ' -f2-)"
        grep -v '^replaying ' "$T/$t.err" | head -40
        rc=1
    fi
done
exit $rc
