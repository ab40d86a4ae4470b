#!/usr/bin/env bash
# XGBoost JSON models scored by sluice equal python3-xgboost's predictions
# (within 1e-6, NaNs included) for random models trained here: binary and
# multi-class classifiers, regressors, explicit base_score, feature names,
# trees shallow enough for the complete-tree walk and deeper ones. Every
# model is scored three times, with the best SIMD walk the CPU has (AVX-512
# or AVX2, src/model/tree_simd.c), with SLUICE_MODEL_SIMD=avx2 and with
# SLUICE_MODEL_SIMD=0 (the scalar walk), and the outputs must be the same
# bytes. 1000 rows: three whole blocks of 256 and one of 232 (eight groups
# of 16 rows at once, then single sixteens, then an eight).
set -eu
PY=/usr/bin/python3
$PY -c 'import xgboost, numpy' 2>/dev/null || { echo "skipped: /usr/bin/python3 lacks xgboost/numpy (python3-xgboost)"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$ROOT/tests/model/build_tool.sh" "$tmp/st"
$PY "$ROOT/tests/model/xgb_oracle.py" gen "$tmp"
fail=0
check() { $PY "$ROOT/tests/model/xgb_oracle.py" check "$@" || fail=1; }
same_scalar() {   # same_scalar <name> <st args...>: SIMD and scalar outputs identical
    local n=$1; shift
    SLUICE_MODEL_SIMD=0 "$tmp/st" "$@" > "$tmp/$n.scalar"
    SLUICE_MODEL_SIMD=avx2 "$tmp/st" "$@" > "$tmp/$n.avx2"
    "$tmp/st" "$@" > "$tmp/$n.simd"
    cmp -s "$tmp/$n.simd" "$tmp/$n.scalar" || { echo "$n: SIMD (best) and scalar walks differ"; diff "$tmp/$n.simd" "$tmp/$n.scalar" | head -5; fail=1; }
    cmp -s "$tmp/$n.avx2" "$tmp/$n.scalar" || { echo "$n: AVX2 and scalar walks differ"; diff "$tmp/$n.avx2" "$tmp/$n.scalar" | head -5; fail=1; }
}
for n in reg reg_base multi reglog logitraw d8 deep; do
    "$tmp/st" score "$tmp/$n.json" "$tmp/$n.csv" > "$tmp/$n.actual"
    check "$tmp/$n.expected" "$tmp/$n.actual" 1e-6
    same_scalar "$n" score "$tmp/$n.json" "$tmp/$n.csv"
done
for n in bin bin_named; do   # probability of class 1
    "$tmp/st" predict "$tmp/$n.json" "$tmp/$n.csv" | cut -d, -f2 > "$tmp/$n.actual"
    check "$tmp/$n.expected" "$tmp/$n.actual" 1e-6
    same_scalar "$n" predict "$tmp/$n.json" "$tmp/$n.csv"
done
"$tmp/st" predict "$tmp/softmax.json" "$tmp/softmax.csv" | cut -d, -f1 > "$tmp/softmax.actual"
check "$tmp/softmax.expected" "$tmp/softmax.actual" 0
# Load errors name the problem.
echo '{"learner": {"objective": {"name": "rank:pairwise"}, "gradient_booster": {"name": "gbtree"}}}' > "$tmp/bad.json"
out=$("$tmp/st" inputs "$tmp/bad.json" 2>&1 || true)
grep -q "unsupported XGBoost objective 'rank:pairwise'" <<<"$out" || { echo "bad objective: $out"; fail=1; }
echo '{"learner": [1, 2' > "$tmp/corrupt.json"
out=$("$tmp/st" inputs "$tmp/corrupt.json" 2>&1 || true)
grep -q "model error: .*corrupt.json: JSON: .* at line 2, column 1" <<<"$out" || { echo "corrupt: $out"; fail=1; }
out=$("$tmp/st" inputs "$tmp/missing.json" 2>&1 || true)
grep -q "does not exist" <<<"$out" || { echo "missing: $out"; fail=1; }
exit $fail
