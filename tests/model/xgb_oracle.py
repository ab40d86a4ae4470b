"""XGBoost oracle for tests/scripts/401-model-xgb.sh.

gen <dir>: trains random models (python3-xgboost, fixed seeds, random data
with NaNs) for several objectives, saving <dir>/<name>.json, a scoring CSV
<dir>/<name>.csv (header f0..fN or the model's feature names; NaN written
as an empty field) and xgboost's own predictions <dir>/<name>.expected.
check <expected> <actual> [tol]: compares row by row, prints the worst
difference, exits 1 when over tol (default 1e-6).
"""
import sys
import numpy as np
import xgboost as xgb

CASES = [
    # name, objective, extra params, rounds, n_features, depth, named features
    ("bin", "binary:logistic", {}, 30, 8, 4, False),
    ("bin_named", "binary:logistic", {"base_score": 0.3}, 10, 5, 6, True),
    ("reg", "reg:squarederror", {}, 40, 6, 5, False),
    ("reg_base", "reg:squarederror", {"base_score": 2.5}, 15, 3, 3, False),
    ("multi", "multi:softprob", {"num_class": 4}, 12, 7, 4, False),
    ("softmax", "multi:softmax", {"num_class": 3}, 8, 4, 3, False),
    ("reglog", "reg:logistic", {}, 10, 5, 4, False),
    ("logitraw", "binary:logitraw", {}, 10, 5, 4, False),
    # Deeper than the AVX2 walk's vector levels (5, src/model/tree_simd.c):
    # the rest of the way in scalar steps.
    ("d8", "reg:squarederror", {"min_child_weight": 0}, 10, 6, 8, False),
    # Trees deeper than the complete-tree walk takes (SL_MDL_CDEPTH_MAX 10,
    # src/model/model_int.h): the general walk.
    ("deep", "reg:squarederror", {"min_child_weight": 0, "gamma": 0}, 8, 6, 14, False),
]


def gen(out):
    for i, (name, obj, extra, rounds, nf, depth, named) in enumerate(CASES):
        rng = np.random.default_rng(1000 + i)
        n = 3000
        X = rng.normal(size=(n, nf)) * rng.uniform(0.5, 50, size=nf)
        # Values on a coarse grid so many rows land exactly on split values.
        X[:, 0] = np.round(X[:, 0])
        X[rng.random(X.shape) < 0.15] = np.nan
        lin = np.nan_to_num(X[:, 0]) * 0.1 + np.nan_to_num(X[:, 1 % nf]) * 0.02 + rng.normal(size=n)
        if obj.startswith("multi"):
            y = np.digitize(lin, np.quantile(lin, np.linspace(0, 1, extra["num_class"] + 1)[1:-1]))
        elif obj.startswith("reg:squared"):
            y = lin * 3 + 1
        elif obj == "reg:logistic":
            y = 1 / (1 + np.exp(-lin))
        else:
            y = (lin > 0).astype(int)
        names = ["feat_%d" % k for k in range(nf)] if named else None
        d = xgb.DMatrix(X, label=y, feature_names=names)
        params = {"objective": obj, "max_depth": depth, "eta": 0.3, "seed": i,
                  "subsample": 0.8, "colsample_bytree": 0.9}
        params.update(extra)
        b = xgb.train(params, d, rounds)
        b.save_model("%s/%s.json" % (out, name))
        # Score fresh rows plus training rows (exact split values).
        Xs = np.vstack([X[:500], rng.normal(size=(500, nf)) * 10])
        Xs[rng.random(Xs.shape) < 0.1] = np.nan
        p = b.predict(xgb.DMatrix(Xs, feature_names=names))
        if p.ndim == 1:
            p = p.reshape(-1, 1)
        hdr = names or ["f%d" % k for k in range(nf)]
        with open("%s/%s.csv" % (out, name), "w") as f:
            f.write(",".join(hdr) + "\n")
            for row in Xs:
                f.write(",".join("" if np.isnan(v) else repr(float(v)) for v in row) + "\n")
        with open("%s/%s.expected" % (out, name), "w") as f:
            for row in p:
                f.write(",".join(repr(float(v)) for v in row) + "\n")


def check(exp_path, act_path, tol):
    exp = [list(map(float, l.split(","))) for l in open(exp_path) if l.strip()]
    act = [list(map(float, l.split(","))) for l in open(act_path) if l.strip()]
    if len(exp) != len(act):
        print("row count differs: expected %d, got %d" % (len(exp), len(act)))
        return 1
    worst = 0.0
    for r, (e, a) in enumerate(zip(exp, act)):
        if len(e) != len(a):
            print("row %d: %d values expected, got %d" % (r, len(e), len(a)))
            return 1
        for x, y in zip(e, a):
            if np.isnan(x) != np.isnan(y):
                print("row %d: NaN mismatch %r vs %r" % (r, x, y))
                return 1
            if not np.isnan(x):
                worst = max(worst, abs(x - y))
    print("%s: %d rows, max abs diff %.3g" % (exp_path, len(exp), worst))
    return 0 if worst <= tol else 1


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
    else:
        sys.exit(check(sys.argv[2], sys.argv[3], float(sys.argv[4]) if len(sys.argv) > 4 else 1e-6))
