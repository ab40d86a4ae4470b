#!/usr/bin/env bash
# predict()/predict_proba() through SQL on XGBoost JSON models trained here
# by python3-xgboost on random data with NaNs equal xgboost's own
# predictions (1e-6): a binary classifier with named features scored
# through predict(m, *) from a table whose columns are in another order,
# with an extra column and one feature declared INT; the same model with
# explicit arguments; a regressor; a multi:softprob classifier (predict is
# the argmax class). Missing values are CSV empty fields (NULL in SQL).
set -eu
PY=/usr/bin/python3
$PY -c 'import xgboost, numpy' 2>/dev/null || { echo "skipped: /usr/bin/python3 lacks xgboost/numpy (python3-xgboost)"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
$PY - <<'EOF'
import numpy as np, xgboost as xgb
rng = np.random.default_rng(7)
n, nf = 3000, 6
X = rng.normal(size=(n, nf)) * rng.uniform(0.5, 30, size=nf)
X[:, 0] = np.round(X[:, 0])          # a grid: rows land on split values
X[:, 5] = np.round(X[:, 5])          # the INT column
X[rng.random(X.shape) < 0.15] = np.nan
lin = np.nan_to_num(X[:, 0]) * 0.1 + np.nan_to_num(X[:, 2]) * 0.05 + rng.normal(size=n)
names = ["Alpha", "beta", "Gamma d", "delta", "eps", "count"]
models = {
    "bin": ({"objective": "binary:logistic", "max_depth": 5}, (lin > 0).astype(int), 40),
    "reg": ({"objective": "reg:squarederror", "max_depth": 4}, lin * 3 + 1, 30),
    "multi": ({"objective": "multi:softprob", "num_class": 3, "max_depth": 4},
              np.digitize(lin, np.quantile(lin, [1 / 3, 2 / 3])), 15),
}
Xs = np.vstack([X[:700], rng.normal(size=(500, nf)) * 10])
Xs[:, 5] = np.round(Xs[:, 5])
Xs[rng.random(Xs.shape) < 0.1] = np.nan
for name, (params, y, rounds) in models.items():
    params.update({"eta": 0.3, "seed": 3, "subsample": 0.9})
    b = xgb.train(params, xgb.DMatrix(X, label=y, feature_names=names), rounds)
    b.save_model(name + ".json")
    p = b.predict(xgb.DMatrix(Xs, feature_names=names))
    with open(name + ".expected", "w") as f:
        for i, v in enumerate(p):
            f.write("%d,%r\n" % (i, float(np.argmax(v)) if name == "multi" else float(v)))
# The table: an id, the features in another order, an extra column.
order = [3, 0, 5, 1, 4, 2]
with open("rows.csv", "w") as f:
    f.write("id,note," + ",".join(names[k] for k in order) + "\n")
    for i, row in enumerate(Xs):
        vals = ["" if np.isnan(row[k]) else (str(int(row[k])) if k == 5 else repr(float(row[k]))) for k in order]
        f.write("%d,n%d," % (i, i) + ",".join(vals) + "\n")
EOF
cat > q.sql <<'EOF'
CREATE TABLE t (id INT, note STRING, delta DOUBLE, "ALPHA" DOUBLE, "count" INT, beta DOUBLE,
                eps DOUBLE, "Gamma d" DOUBLE)
WITH (connector = 'file', path = '${DIR}/rows.csv', format = 'csv', header = 'true');
CREATE MODEL bin FROM '${DIR}/bin.json';
CREATE MODEL reg FROM '${DIR}/reg.json';
CREATE MODEL multi FROM '${DIR}/multi.json';
CREATE SINK out WITH (connector = 'file', path = '${DIR}/out', format = 'csv') AS
SELECT id, predict_proba(bin, *) AS p_bin, predict(bin, *) AS c_bin,
       predict_proba(bin, "ALPHA", beta, "Gamma d", delta, eps, "count") AS p_bin_args,
       predict(reg, *) AS reg, predict(multi, t.*) AS multi
FROM t;
EOF
"$SLUICE" run q.sql --var DIR="$tmp" --quiet
out=$(ls out/part-*.csv)
$PY - "$out" <<'EOF'
import csv, sys, math
rows = {int(r["id"]): r for r in csv.DictReader(open(sys.argv[1]))}
def load(name):
    return {int(a): float(b) for a, b in (l.strip().split(",") for l in open(name + ".expected"))}
bad = 0
exp = {k: load(k) for k in ("bin", "reg", "multi")}
if len(rows) != len(exp["bin"]):
    print("rows: sluice %d, xgboost %d" % (len(rows), len(exp["bin"]))); sys.exit(1)
worst = {"p_bin": 0.0, "reg": 0.0}
for i, r in rows.items():
    p, c, pa = float(r["p_bin"]), float(r["c_bin"]), float(r["p_bin_args"])
    worst["p_bin"] = max(worst["p_bin"], abs(p - exp["bin"][i]))
    worst["reg"] = max(worst["reg"], abs(float(r["reg"]) - exp["reg"][i]))
    if pa != p: bad += 1; print("row %d: explicit arguments %r != * %r" % (i, pa, p))
    if c != (1.0 if exp["bin"][i] > 0.5 else 0.0): bad += 1; print("row %d: class %r for p %r" % (i, c, exp["bin"][i]))
    if float(r["multi"]) != exp["multi"][i]: bad += 1; print("row %d: multi %r != %r" % (i, r["multi"], exp["multi"][i]))
print("%d rows; max |dp| binary %.3g, regression %.3g; %d mismatches" % (len(rows), worst["p_bin"], worst["reg"], bad))
sys.exit(1 if bad or worst["p_bin"] > 1e-6 or worst["reg"] > 1e-6 else 0)
EOF
