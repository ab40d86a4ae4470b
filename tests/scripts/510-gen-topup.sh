#!/usr/bin/env bash
# `sluice gen topup`: the generated customer.csv / bureau.csv have the
# reference's exact columns, one row per customer and 5-10 bureau rows each,
# the real data's formats and NULL columns, the label in roughly the real
# proportions, a relation between features and label that a model can learn,
# and byte-identical output for a seed. Checked independently of the
# generator's code by Python's csv module (Debian's /usr/bin/python3).
set -euo pipefail
: "${SLUICE:?}"
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "skip: $PY not installed"; exit 77; }
if ! "$SLUICE" gen topup --help 2>/dev/null | grep -q 'usage: sluice gen topup'; then
    echo "skip: 'sluice gen topup' is not dispatched by this binary yet"; exit 77
fi
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
N=20000

"$SLUICE" gen topup --customers $N --seed 7 --out "$T/a" --quiet
"$SLUICE" gen topup --customers $N --seed 7 --out "$T/b" --quiet
"$SLUICE" gen topup --customers $N --seed 8 --out "$T/c" --quiet
cmp "$T/a/customer.csv" "$T/b/customer.csv"
cmp "$T/a/bureau.csv" "$T/b/bureau.csv"
if cmp -s "$T/a/bureau.csv" "$T/c/bureau.csv"; then echo "FAIL: seed 8 gave the same bureau.csv as seed 7"; exit 1; fi

# Usage errors exit 2.
rc=0; "$SLUICE" gen topup --customers nope --out "$T/x" 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || { echo "FAIL: bad --customers exited $rc, want 2"; exit 1; }
rc=0; "$SLUICE" gen topup --bogus 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || { echo "FAIL: unknown option exited $rc, want 2"; exit 1; }

"$PY" - "$T/a" "$N" <<'PYEOF'
import csv, collections, re, sys
d, n = sys.argv[1], int(sys.argv[2])
fails = []
def check(cond, msg):
    if not cond: fails.append(msg)

CUST = ["ID","Frequency","InstlmentMode","LoanStatus","PaymentMode","BranchID","Area","Tenure",
        "AssetCost","AmountFinance","DisbursalAmount","EMI","DisbursalDate","MaturityDAte","AuthDate",
        "AssetID","ManufacturerID","SupplierID","LTV","SEX","AGE","MonthlyIncome","City","State",
        "ZiPCODE","Top-up Month"]
BUR = ["ID","SELF-INDICATOR","MATCH-TYPE","ACCT-TYPE","CONTRIBUTOR-TYPE","DATE-REPORTED",
       "OWNERSHIP-IND","ACCOUNT-STATUS","DISBURSED-DT","CLOSE-DT","LAST-PAYMENT-DATE",
       "CREDIT-LIMIT/SANC AMT","DISBURSED-AMT/HIGH CREDIT","INSTALLMENT-AMT","CURRENT-BAL",
       "INSTALLMENT-FREQUENCY","OVERDUE-AMT","WRITE-OFF-AMT","ASSET_CLASS","REPORTED DATE - HIST",
       "DPD - HIST","CUR BAL - HIST","AMT OVERDUE - HIST","AMT PAID - HIST","TENURE"]
BUCKETS = ["No Top-up Service","12-18 Months","18-24 Months","24-30 Months","30-36 Months",
           "36-48 Months"," > 48 Months"]
STATES = {"MADHYA PRADESH","RAJASTHAN","MAHARASHTRA","ANDHRA PRADESH","GUJARAT","HARYANA",
          "KARNATAKA","PUNJAB","UTTARAKHAND","UTTAR PRADESH","ORISSA","CHATTISGARH","TELANGANA",
          "WEST BENGAL","BIHAR","DELHI","JHARKHAND","HIMACHAL PRADESH"}

with open(f"{d}/customer.csv", newline="") as f:
    rows = list(csv.reader(f))
check(rows[0] == CUST, f"customer header {rows[0]}")
cust = rows[1:]
check(len(cust) == n, f"{len(cust)} customers, want {n}")
check(all(len(r) == len(CUST) for r in cust), "a customer row with the wrong field count")
C = [dict(zip(CUST, r)) for r in cust]
ids = [r["ID"] for r in C]
check(sorted(map(int, ids)) == list(range(1, n + 1)), "customer IDs are not 1..N")

dt = re.compile(r"^\d{4}-\d{2}-\d{2} 00:00:00$")
digits = re.compile(r"^\d+$")
for r in C:
    for k in ("DisbursalDate", "MaturityDAte", "AuthDate"):
        if not dt.match(r[k]): fails.append(f"ID {r['ID']} {k}={r[k]!r}"); break
    for k in ("Tenure", "AssetCost", "AmountFinance", "DisbursalAmount", "EMI", "BranchID", "ZiPCODE", "AssetID", "SupplierID"):
        if not digits.match(r[k]): fails.append(f"ID {r['ID']} {k}={r[k]!r} not plain digits"); break
    if r["MaturityDAte"] <= r["DisbursalDate"]: fails.append(f"ID {r['ID']} matures before disbursal")
    if r["AuthDate"] > r["DisbursalDate"]: fails.append(f"ID {r['ID']} authorised after disbursal")
    if abs(float(r["LTV"]) - 100 * int(r["AmountFinance"]) / int(r["AssetCost"])) > 0.01:
        fails.append(f"ID {r['ID']} LTV {r['LTV']} does not match AmountFinance/AssetCost")
    if r["State"] not in STATES: fails.append(f"ID {r['ID']} unknown State {r['State']!r}")
    if r["Top-up Month"] not in BUCKETS: fails.append(f"ID {r['ID']} bad label {r['Top-up Month']!r}")
    if r["SEX"] not in ("M", "F", ""): fails.append(f"ID {r['ID']} SEX {r['SEX']!r}")
    if r["Frequency"] not in ("Monthly", "Quatrly", "Half Yearly"): fails.append(f"Frequency {r['Frequency']!r}")
    if r["LoanStatus"] not in ("Closed", "Active"): fails.append(f"LoanStatus {r['LoanStatus']!r}")
    if len(fails) > 20: break

for k in ("Area", "City", "MonthlyIncome", "SEX", "AGE"):
    share = sum(1 for r in C if r[k] == "") / n
    check(0 < share < 0.10, f"NULL share of {k} is {share:.4f}, want some but under 10%")
for k in ("ID", "State", "Top-up Month", "DisbursalDate", "LTV", "Tenure"):
    check(all(r[k] != "" for r in C), f"{k} has NULLs")
states = collections.Counter(r["State"] for r in C)
check(states["ORISSA"] > 0 and states["CHATTISGARH"] > 0, "ORISSA/CHATTISGARH missing")
check(states.most_common(1)[0][0] == "MADHYA PRADESH", f"most common State {states.most_common(1)}")

labels = collections.Counter(r["Top-up Month"] for r in C)
no = labels["No Top-up Service"] / n
check(0.80 <= no <= 0.86, f"'No Top-up Service' share {no:.3f}, want about 0.83")
check(all(labels[b] > 0 for b in BUCKETS), f"a label bucket is missing: {labels}")
check(labels[" > 48 Months"] == max(labels[b] for b in BUCKETS[1:]), f"' > 48 Months' should be the largest top-up bucket: {labels}")

with open(f"{d}/bureau.csv", newline="") as f:
    rows = list(csv.reader(f))
check(rows[0] == BUR, f"bureau header {rows[0]}")
bur = rows[1:]
check(all(len(r) == len(BUR) for r in bur), "a bureau row with the wrong field count")
B = [dict(zip(BUR, r)) for r in bur]
per = collections.Counter(r["ID"] for r in B)
check(set(per) == set(ids), "bureau IDs differ from customer IDs")
check(all(5 <= c <= 10 for c in per.values()), f"bureau rows per customer outside 5..10: {min(per.values())}..{max(per.values())}")
check(5.5 <= len(B) / n <= 9.5, f"mean bureau rows per customer {len(B)/n:.2f}")

amt = re.compile(r"^\d{1,3}(,\d\d)*(,\d{3})?(/\w+)?$|^\d{1,3}$")
hist_date = re.compile(r"^(\d{8},)+$")
hist_num = re.compile(r"^(\d+,)+$")
dpd = re.compile(r"^([0-9X]{3})+$")
day = re.compile(r"^\d{4}-\d{2}-\d{2}$")
grouped = 0
for r in B:
    if r["SELF-INDICATOR"] not in ("TRUE", "FALSE"): fails.append(f"SELF-INDICATOR {r['SELF-INDICATOR']!r}")
    for k in ("DISBURSED-AMT/HIGH CREDIT", "CURRENT-BAL", "OVERDUE-AMT", "INSTALLMENT-AMT", "CREDIT-LIMIT/SANC AMT"):
        v = r[k]
        if v and not amt.match(v): fails.append(f"ID {r['ID']} {k}={v!r}")
        if "," in v: grouped += 1
    if r["WRITE-OFF-AMT"] and not digits.match(r["WRITE-OFF-AMT"]): fails.append(f"WRITE-OFF-AMT {r['WRITE-OFF-AMT']!r}")
    for k in ("DATE-REPORTED", "DISBURSED-DT", "CLOSE-DT", "LAST-PAYMENT-DATE"):
        if r[k] and not day.match(r[k]): fails.append(f"{k}={r[k]!r}")
    if not day.match(r["DATE-REPORTED"]): fails.append("DATE-REPORTED missing")
    if not hist_date.match(r["REPORTED DATE - HIST"]): fails.append(f"REPORTED DATE - HIST {r['REPORTED DATE - HIST']!r}")
    if not dpd.match(r["DPD - HIST"]): fails.append(f"DPD - HIST {r['DPD - HIST']!r}")
    nm = r["REPORTED DATE - HIST"].count(",")
    if len(r["DPD - HIST"]) != 3 * nm: fails.append("DPD - HIST length differs from REPORTED DATE - HIST")
    for k in ("CUR BAL - HIST", "AMT OVERDUE - HIST"):
        if not hist_num.match(r[k]) or r[k].count(",") != nm: fails.append(f"{k} {r[k]!r}")
    if len(fails) > 20: break
check(grouped > len(B) // 2, f"only {grouped} bureau amounts carry thousands separators")
for k in ("OVERDUE-AMT", "INSTALLMENT-AMT", "CLOSE-DT"):
    check(any(r[k] == "" for r in B), f"{k} never NULL")

# The raw file must quote the comma-bearing fields (csv parsing above already
# proved the field counts; this checks the quoting is really there).
with open(f"{d}/bureau.csv") as f:
    f.readline(); first = f.readline()
check(re.search(r'"(\d{8},)+"', first) is not None, f"REPORTED DATE - HIST not quoted: {first[:200]}")

# A planted, learnable relation: top-up customers have lower bureau balances
# (rank AUC of -sum(CURRENT-BAL) well above 0.5), and closed loans top up
# more often than active ones.
bal = collections.Counter()
for r in B:
    bal[r["ID"]] += int(re.sub(r"\D", "", r["CURRENT-BAL"]) or 0)
pos = sorted(bal[r["ID"]] for r in C if r["Top-up Month"] != "No Top-up Service")
neg = sorted(bal[r["ID"]] for r in C if r["Top-up Month"] == "No Top-up Service")
import bisect
wins = sum(bisect.bisect_left(neg, p) + 0.5 * (bisect.bisect_right(neg, p) - bisect.bisect_left(neg, p)) for p in pos)
auc = 1 - wins / (len(pos) * len(neg))
check(auc > 0.58, f"AUC of low CURRENT-BAL for top-up is {auc:.3f}: no planted relation")
def rate(k, v):
    g = [r for r in C if r[k] == v]
    return sum(r["Top-up Month"] != "No Top-up Service" for r in g) / len(g)
check(rate("LoanStatus", "Closed") > rate("LoanStatus", "Active") + 0.05, "LoanStatus does not relate to the label")

print(f"customers={n} bureau={len(B)} no_topup={no:.3f} auc_curbal={auc:.3f} "
      f"closed_rate={rate('LoanStatus','Closed'):.3f} active_rate={rate('LoanStatus','Active'):.3f}")
if fails:
    print("FAIL:\n  " + "\n  ".join(fails[:20])); sys.exit(1)
PYEOF
echo "ok"
