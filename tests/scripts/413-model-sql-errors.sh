#!/usr/bin/env bash
# Model errors are plan errors, reported by `sluice explain` (which reads no
# data) with the statement's file:line:column: an unknown model, a feature
# column the query lacks, a column whose type cannot feed its feature, the
# wrong number of arguments, predict_proba on a regressor, a corrupt or
# missing model file, a name already taken, and for training: a stream as
# input, a missing label column, an unsupported model type.
set -eu
PY=/usr/bin/python3
$PY -c 'import xgboost, numpy' 2>/dev/null || { echo "skipped: /usr/bin/python3 lacks xgboost/numpy (python3-xgboost)"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
$PY - <<'EOF'
import numpy as np, xgboost as xgb
rng = np.random.default_rng(1)
X = rng.normal(size=(200, 3))
b = xgb.train({"objective": "reg:squarederror", "max_depth": 2},
              xgb.DMatrix(X, label=X[:, 0] * 2, feature_names=["a", "b", "c"]), 5)
b.save_model("reg.json")
EOF
echo '{"learner": [1, 2' > corrupt.json
printf 'a,b,c,s,y\n1,2,3,x,1\n' > t.csv
fail=0
# expect_error <expected message regex> <line:col> <statements…>
expect_error() {
    local want=$1 pos=$2; shift 2
    { echo "CREATE TABLE t (a DOUBLE, b DOUBLE, c DOUBLE, s STRING, y INT)"
      echo "  WITH (connector = 'file', path = '$tmp/t.csv', format = 'csv');"
      echo "CREATE MODEL r FROM '$tmp/reg.json';"
      printf '%s\n' "$@"; } > e.sql
    local out
    if out=$("$SLUICE" explain e.sql 2>&1); then
        echo "FAIL: no error for: $*"; fail=1; return
    fi
    if ! grep -Eq -- "$want" <<<"$out"; then echo "FAIL: expected /$want/, got: $out"; fail=1; return; fi
    if ! grep -q -- "e.sql:$pos:" <<<"$out"; then echo "FAIL: expected position $pos in: $out"; fail=1; return; fi
    echo "ok: $(head -1 <<<"$out")"
}
sink="CREATE SINK o WITH (connector = 'console') AS"
expect_error "unknown model nope in predict\(\)" 4:65 "$sink SELECT a, predict(nope, *) FROM t;"
expect_error 'model r needs a column named "c" \(feature 3 of 3, DOUBLE\), which the query does not have \(columns: .*s' 4:54 \
    "$sink SELECT predict(r, *) FROM (SELECT a, b, s FROM t) x;"
expect_error 'feature "c" of model r is DOUBLE, but argument s is STRING; CAST it to DOUBLE' 4:71 \
    "$sink SELECT predict(r, a, b, s) FROM t;"
expect_error 'feature "a" of model r is DOUBLE, but column a is STRING' 4:65 \
    "$sink SELECT predict(r, *) FROM (SELECT s AS a, b, c FROM t) x;"
expect_error "model r takes 3 features \(a, b, c\), got 2 arguments" 4:54 "$sink SELECT predict(r, a, b) FROM t;"
expect_error "predict_proba\(r, …\): model r is a regressor" 4:54 "$sink SELECT predict_proba(r, *) FROM t;"
expect_error "takes a model's name first" 4:54 "$sink SELECT predict('r', a, b, c) FROM t;"
expect_error "CREATE MODEL bad: .*corrupt.json: JSON" 4:1 "CREATE MODEL bad FROM '$tmp/corrupt.json';"
expect_error "CREATE MODEL gone: .*does not exist" 4:1 "CREATE MODEL gone FROM '$tmp/nothing/here.json';"
expect_error "t is already defined as a source or table" 4:1 "CREATE MODEL t FROM '$tmp/reg.json';"
expect_error "r is already defined as a model" 4:1 "CREATE MODEL r FROM '$tmp/reg.json';"
expect_error "CREATE MODEL m trains on bounded tables only \(CREATE TABLE\), but s1 is a stream" 5:56 \
    "CREATE SOURCE s1 (a DOUBLE, y INT) WITH (connector = 'rate');" \
    "CREATE MODEL m WITH (type = 'xgboost', label = 'y') AS SELECT a, y FROM s1;"
expect_error "the label column 'z' is not among the query's columns \(a, b, y\)" 4:1 \
    "CREATE MODEL m WITH (type = 'xgboost', label = 'z') AS SELECT a, b, y FROM t;"
expect_error "the label column s is STRING; it must be numeric" 4:1 \
    "CREATE MODEL m WITH (type = 'xgboost', label = 's') AS SELECT a, s FROM t;"
expect_error "type 'lightgbm' cannot be trained here \(only 'xgboost'\)" 4:1 \
    "CREATE MODEL m WITH (type = 'lightgbm', label = 'y') AS SELECT a, y FROM t;"
expect_error "CREATE MODEL m: .*max_depth.*deep" 4:1 \
    "CREATE MODEL m WITH (type = 'xgboost', label = 'y', max_depth = 'deep', path = '$tmp/m') AS SELECT a, y FROM t;"
exit $fail
