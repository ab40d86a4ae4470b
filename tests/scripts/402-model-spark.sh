#!/usr/bin/env bash
# The reference Spark PipelineModel (StringIndexer -> OneHotEncoder ->
# VectorAssembler -> GBTClassificationModel) loads, and sluice's prediction
# and probability on real LTFS rows (plus unseen labels and NULLs) equal an
# independent scorer's (tests/oracle/model_oracle.js: DuckDB reads the
# model's Parquet files, JavaScript walks the trees). Load errors name the
# problem: unknown stage class, missing or corrupt metadata. The scores with
# the AVX2 walk (where the CPU has it) and with SLUICE_MODEL_SIMD=0 (the
# scalar walk) are the same bytes.
set -eu
MODEL="$ROOT/../shared/reference/spark_pipeline_model/topup_pipeline_model"
LTFS="$ROOT/../shared/reference/ltfs_sample"
[ -d "$MODEL" ] && [ -d "$LTFS" ] || { echo "skipped: reference model or LTFS sample absent under $ROOT/../shared/reference"; exit 77; }
[ -d "$ROOT/tests/oracle/node_modules/@duckdb" ] || { echo "skipped: DuckDB for node not installed (cd tests/oracle && npm install)"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$ROOT/tests/model/build_tool.sh" "$tmp/st"
/usr/bin/python3 "$ROOT/tests/model/spark_rows.py" "$LTFS" "$tmp/rows.csv" 400
(cd "$ROOT/tests/oracle" && node model_oracle.js "$MODEL" "$tmp/rows.csv") > "$tmp/oracle.out"
"$tmp/st" predict "$MODEL" "$tmp/rows.csv" > "$tmp/sluice.out"
fail=0
paste -d, "$tmp/oracle.out" "$tmp/sluice.out" | awk -F, '
    { n++; if ($1 != $3) bad++; d = $2 - $4; if (d < 0) d = -d; if (d > m) m = d; cls[$3]++ }
    END { printf "%d rows, %d prediction mismatches, max |dP| %.3g, class 0: %d, class 1: %d\n", n, bad, m, cls["0"], cls["1"];
          exit (n < 400 || bad > 0 || m > 1e-12 || cls["0"] == 0 || cls["1"] == 0) }' || fail=1
SLUICE_MODEL_SIMD=0 "$tmp/st" predict "$MODEL" "$tmp/rows.csv" > "$tmp/scalar.out"
cmp -s "$tmp/sluice.out" "$tmp/scalar.out" || { echo "SIMD and scalar walks differ"; diff "$tmp/sluice.out" "$tmp/scalar.out" | head -5; fail=1; }
# The input list is the pipeline's: 7 string-indexed, 8 numeric.
"$tmp/st" inputs "$MODEL" > "$tmp/inputs"
[ "$(grep -c ' STRING$' "$tmp/inputs")" = 7 ] && [ "$(grep -c ' DOUBLE$' "$tmp/inputs")" = 8 ] || { cat "$tmp/inputs"; fail=1; }
# An unknown stage class is named.
mkdir -p "$tmp/bad/stages"; cp -r "$MODEL/metadata" "$tmp/bad/"
for s in "$MODEL"/stages/*; do cp -r "$s" "$tmp/bad/stages/"; done
f=$(ls -d "$tmp"/bad/stages/2_*)/metadata/part-00000
sed -i 's/org.apache.spark.ml.feature.VectorAssembler/org.example.FancyAssembler/' "$f"
out=$("$tmp/st" inputs "$tmp/bad" 2>&1 || true)
grep -q "unsupported Spark stage class org.example.FancyAssembler" <<<"$out" || { echo "unknown class: $out"; fail=1; }
echo '{"class": "org.apache.spark.ml.feature.VectorAssembler", ' > "$f"
out=$("$tmp/st" inputs "$tmp/bad" 2>&1 || true)
grep -q "model error: .*part-00000: JSON" <<<"$out" || { echo "corrupt: $out"; fail=1; }
cp "$MODEL"/stages/2_*/metadata/part-00000 "$f"
rm -rf "$tmp"/bad/stages/3_*/data
out=$("$tmp/st" inputs "$tmp/bad" 2>&1 || true)
grep -q "model error: .*3_GBTClassifier.*/data: missing model data directory" <<<"$out" || { echo "missing data: $out"; fail=1; }
out=$("$tmp/st" inputs "$tmp/nope" 2>&1 || true)
grep -q "does not exist" <<<"$out" || { echo "missing: $out"; fail=1; }
exit $fail
