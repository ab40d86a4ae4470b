"""Builds the scoring rows for tests/scripts/402-model-spark.sh from the
LTFS sample (real customers joined with their bureau sums), plus hand-made
rows: labels the model never saw, NULL categories and NULL numbers.

    spark_rows.py <ltfs_sample dir> <out.csv> [n]

The model's two bureau features the sample lacks (SELF-INDICATOR_sum,
ACCT-TYPE_dist) are filled from the row number, spread over the range the
trees split on, with some NULLs."""
import csv
import sys

src, out = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 300
cols = ["LoanStatus", "BranchID", "Area", "Tenure", "ManufacturerID", "City", "State",
        "AssetCost", "DisbursalAmount", "EMI", "MonthlyIncome", "SELF-INDICATOR_sum",
        "ACCT-TYPE_dist", "DISBURSED-AMT/HIGH CREDIT_sum", "CURRENT-BAL_sum"]
with open(src + "/test_bureau_sums.csv", newline="", encoding="utf-8-sig") as f:
    rd = csv.reader(f)
    hdr = next(rd)
    rows = [dict(zip(hdr, r)) | {"_disb": r[hdr.index("SUM(DISBURSED-AMT/HIGH CREDIT)")],
                                  "_bal": r[hdr.index("SUM(CURRENT-BAL)")]} for r in rd]
res = []
for i, r in enumerate(rows[:n]):
    o = {c: r.get(c, "") for c in cols[:11]}
    o["SELF-INDICATOR_sum"] = "" if i % 17 == 5 else str(i % 4)
    o["ACCT-TYPE_dist"] = "" if i % 13 == 7 else str(1 + i % 6)
    o["DISBURSED-AMT/HIGH CREDIT_sum"] = "" if i % 11 == 3 else r["_disb"]
    o["CURRENT-BAL_sum"] = "" if i % 19 == 2 else r["_bal"]
    res.append(o)
# Hand-made rows: unseen labels, NULL categories, all NULL.
base = dict(res[0])
res.append(base | {"City": "ATLANTIS", "BranchID": "99999", "Tenure": ""})
res.append(base | {"LoanStatus": "", "State": "NOWHERE", "AssetCost": ""})
res.append({c: "" for c in cols})
for o in res:
    for c in cols:
        if "," in o[c]:
            o[c] = o[c].replace(",", " ")
with open(out, "w") as f:
    f.write(",".join(cols) + "\n")
    for o in res:
        f.write(",".join(o[c] for c in cols) + "\n")
