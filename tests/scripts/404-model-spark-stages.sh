#!/usr/bin/env bash
# Spark model directories for the stage types the reference model lacks —
# RandomForestClassificationModel and DecisionTreeRegressionModel behind a
# StringIndexer (handleInvalid=keep) and VectorAssembler, with categorical
# and continuous splits, NULLs and unseen labels; a bare
# LogisticRegressionModel directory with sparse coefficients and threshold
# 0.3 — written in Spark's layout by tests/oracle/model_fixtures.js (DuckDB
# writes the nested Parquet), which also works out the expected outputs.
set -eu
[ -d "$ROOT/tests/oracle/node_modules/@duckdb" ] || { echo "skipped: DuckDB for node not installed (cd tests/oracle && npm install)"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$ROOT/tests/model/build_tool.sh" "$tmp/st"
(cd "$ROOT/tests/oracle" && node model_fixtures.js "$tmp")
fail=0
for n in rf dt lr; do
    "$tmp/st" predict "$tmp/$n" "$tmp/$n.csv" > "$tmp/$n.actual"
    paste -d, "$tmp/$n.expected" "$tmp/$n.actual" | awk -F, -v n=$n '
        { if ($1 != $3) bad++
          if ($2 == "NULL" || $4 == "NULL") { if ($2 != $4) bad++ }
          else { d = $2 - $4; if (d < 0) d = -d; if (d > m) m = d } }
        END { printf "%s: %d rows, %d mismatches, max |dP| %.3g\n", n, NR, bad, m
              exit (NR < 5 || bad > 0 || m > 1e-12) }' || fail=1
done
"$tmp/st" inputs "$tmp/lr" | grep -q '^features_2 DOUBLE$' || fail=1
exit $fail
