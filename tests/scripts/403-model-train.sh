#!/usr/bin/env bash
# Training through libxgboost: a bundle trained by sluice on data with a
# planted signal (a numeric feature, a string category, NULLs) scores its own
# training data with AUC well above 0.5, and its scores equal
# python3-xgboost's on the saved booster with the bundle's string encoding.
set -eu
PY=/usr/bin/python3
$PY -c 'import xgboost, numpy' 2>/dev/null || { echo "skipped: /usr/bin/python3 lacks xgboost/numpy (python3-xgboost)"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$ROOT/tests/model/build_tool.sh" "$tmp/st"
$PY "$ROOT/tests/model/train_check.py" gen "$tmp/data.csv"
"$tmp/st" train "$tmp/bundle" "$tmp/data.csv" label objective=binary:logistic num_round=30 max_depth=4 eta=0.3 seed=1
"$tmp/st" inputs "$tmp/bundle" > "$tmp/inputs"
grep -q '^kind STRING$' "$tmp/inputs" && grep -q '^amount DOUBLE$' "$tmp/inputs" || { cat "$tmp/inputs"; exit 1; }
"$tmp/st" predict "$tmp/bundle" "$tmp/data.csv" > "$tmp/pred"
$PY "$ROOT/tests/model/train_check.py" check "$tmp/bundle" "$tmp/data.csv" "$tmp/pred"
# A bad parameter is a clear error.
out=$("$tmp/st" train "$tmp/b2" "$tmp/data.csv" label max_depth=deep 2>&1 || true)
grep -q "libxgboost .*max_depth\|XGBoost parameter max_depth" <<<"$out" || { echo "bad max_depth: $out"; exit 1; }
out=$("$tmp/st" train "$tmp/b2" "$tmp/data.csv" label objective=no:such 2>&1 || true)
grep -q "objective 'no:such' is not supported" <<<"$out" || { echo "bad objective: $out"; exit 1; }
