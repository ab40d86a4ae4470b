"""Oracle for tests/scripts/403-model-train.sh.

gen <out.csv>: rows with a planted signal: label depends on a numeric
feature, a string category and their interaction, with NULLs in both.
check <bundle> <data.csv> <sluice predict output>: computes the AUC of
sluice's probabilities against the labels (must be well above 0.5), and
re-scores the bundle independently — python3-xgboost loads model.json,
features encoded from features.json's labels — comparing within 1e-6."""
import json
import sys
import numpy as np

CATS = ["alpha", "beta", "gamma", "delta", "eps"]


def gen(out):
    rng = np.random.default_rng(7)
    n = 4000
    with open(out, "w") as f:
        f.write("amount,kind,noise,label\n")
        for _ in range(n):
            a = rng.normal()
            k = CATS[rng.integers(len(CATS))]
            z = rng.normal()
            logit = 2.0 * a + (1.5 if k in ("beta", "eps") else -1.0)
            y = int(rng.random() < 1 / (1 + np.exp(-logit)))
            fa = "" if rng.random() < 0.05 else repr(float(a))
            fk = "" if rng.random() < 0.05 else k
            f.write("%s,%s,%r,%d\n" % (fa, fk, float(z), y))


def auc(scores, labels):
    order = np.argsort(scores, kind="mergesort")
    s = np.asarray(scores)[order]
    ranks = np.empty(len(s))
    i = 0
    while i < len(s):   # average ranks over ties
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[i:j + 1] = (i + j) / 2 + 1
        i = j + 1
    lab = np.asarray(labels)[order]
    npos = lab.sum()
    nneg = len(lab) - npos
    return (ranks[lab == 1].sum() - npos * (npos + 1) / 2) / (npos * nneg)


def check(bundle, data, pred):
    import xgboost as xgb
    feats = json.load(open(bundle + "/features.json"))["features"]
    rows = [l.rstrip("\n").split(",") for l in open(data)][1:]
    hdr = open(data).readline().strip().split(",")
    labels = [int(r[hdr.index("label")]) for r in rows]
    X = np.full((len(rows), len(feats)), np.nan, dtype=np.float32)
    for j, fd in enumerate(feats):
        c = hdr.index(fd["name"])
        for i, r in enumerate(rows):
            v = r[c]
            if v == "":
                continue
            if fd["type"] == "STRING":
                X[i, j] = fd["labels"].index(v) if v in fd["labels"] else len(fd["labels"])
            else:
                X[i, j] = float(v)
    b = xgb.Booster()
    b.load_model(bundle + "/model.json")
    expect = b.predict(xgb.DMatrix(X))
    got = [float(l.split(",")[1]) for l in open(pred)]
    worst = float(np.max(np.abs(np.asarray(got) - expect)))
    a = auc(got, labels)
    print("AUC %.4f on %d training rows; max |sluice - xgboost| %.3g" % (a, len(rows), worst))
    return 0 if a > 0.75 and worst <= 1e-6 else 1


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
    else:
        sys.exit(check(*sys.argv[2:5]))
