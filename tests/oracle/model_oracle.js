// An independent scorer for Spark ML PipelineModel directories (StringIndexer
// -> OneHotEncoder -> VectorAssembler -> GBT/RF/DT), the oracle for sluice's
// model loader: DuckDB reads the Parquet model data, this script builds each
// row's full feature vector and walks the trees node by node with Spark's
// rules (continuous: value <= threshold goes left; categorical: value in
// leftCategories goes left).
//
//   node model_oracle.js MODEL_DIR ROWS.csv   prints "prediction,probability1" per row
//
// ROWS.csv: a header, comma-separated fields, an empty field is NULL.
'use strict';
const fs = require('fs');
const path = require('path');
const { DuckDBInstance } = require('@duckdb/node-api');

function param(meta, k) {
  if (meta.paramMap && k in meta.paramMap) return meta.paramMap[k];
  return meta.defaultParamMap ? meta.defaultParamMap[k] : undefined;
}

async function records(con, dir) {
  const files = fs.readdirSync(dir).filter(f => f.endsWith('.parquet')).sort();
  const out = [];
  for (const f of files) {
    const r = await con.runAndReadAll(
      `SELECT to_json(t)::VARCHAR AS j FROM read_parquet('${path.join(dir, f)}') t`);
    for (const row of r.getRowObjects()) out.push(JSON.parse(row.j));
  }
  return out;
}

async function main() {
  const [dir, csvPath] = process.argv.slice(2);
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  const pmeta = JSON.parse(fs.readFileSync(path.join(dir, 'metadata/part-00000'), 'utf8'));
  const stages = [];
  const uids = param(pmeta, 'stageUids');
  for (let i = 0; i < uids.length; i++) {
    const sdir = path.join(dir, 'stages', `${i}_${uids[i]}`);
    const meta = JSON.parse(fs.readFileSync(path.join(sdir, 'metadata/part-00000'), 'utf8'));
    const st = { cls: meta.class.split('.').pop(), meta };
    if (fs.existsSync(path.join(sdir, 'data'))) st.data = await records(con, path.join(sdir, 'data'));
    if (fs.existsSync(path.join(sdir, 'treesMetadata')))
      st.treesMeta = await records(con, path.join(sdir, 'treesMetadata'));
    stages.push(st);
  }
  const lines = fs.readFileSync(csvPath, 'utf8').split('\n').filter(l => l.length);
  const header = lines[0].split(',');
  const out = [];
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    const cols = {};
    header.forEach((h, i) => { cols[h] = f[i] === undefined || f[i] === '' ? null : f[i]; });
    let result = null;
    for (const st of stages) {
      const m = st.meta;
      if (st.cls === 'StringIndexerModel') {
        const ins = param(m, 'inputCols'), outs = param(m, 'outputCols');
        const keep = param(m, 'handleInvalid') === 'keep';
        ins.forEach((c, i) => {
          const labels = st.data[0].labelsArray[i];
          const v = cols[c];
          let idx = v === null ? -1 : labels.indexOf(String(v));
          if (idx < 0) {
            if (!keep) throw new Error('invalid label ' + v);
            idx = labels.length;
          }
          cols[outs[i]] = idx;
        });
      } else if (st.cls === 'OneHotEncoderModel') {
        const ins = param(m, 'inputCols'), outs = param(m, 'outputCols');
        const dropLast = param(m, 'dropLast') !== false;
        const keep = param(m, 'handleInvalid') === 'keep';
        ins.forEach((c, i) => {
          const cat = st.data[0].categorySizes[i];
          const size = (!dropLast && keep) ? cat + 1 : (dropLast && !keep) ? cat - 1 : cat;
          const vec = new Array(size).fill(0);
          const idx = cols[c];
          if (idx < size) vec[idx] = 1;
          cols[outs[i]] = vec;
        });
      } else if (st.cls === 'VectorAssembler') {
        let vec = [];
        for (const c of param(m, 'inputCols')) {
          const v = cols[c];
          if (Array.isArray(v)) vec = vec.concat(v);
          else if (typeof v === 'number') vec.push(v);
          else vec.push(v === null ? NaN : Number(v));
        }
        cols[param(m, 'outputCol')] = vec;
      } else if (st.cls === 'GBTClassificationModel' || st.cls === 'GBTRegressionModel') {
        const x = cols[param(m, 'featuresCol')];
        if (x.length !== m.numFeatures) throw new Error('feature count');
        const trees = {};
        for (const r of st.data) (trees[r.treeID] = trees[r.treeID] || {})[r.nodeData.id] = r.nodeData;
        const w = {};
        for (const r of st.treesMeta) w[r.treeID] = r.weights;
        let margin = 0;
        for (const tid of Object.keys(trees)) {
          const nodes = trees[tid];
          let n = nodes[0];
          while (n.leftChild >= 0) {
            const s = n.split, v = x[s.featureIndex];
            const left = s.numCategories < 0 ? v <= s.leftCategoriesOrThreshold[0]
                                             : s.leftCategoriesOrThreshold.includes(v);
            n = nodes[left ? n.leftChild : n.rightChild];
          }
          margin += w[tid] * n.prediction;
        }
        if (st.cls === 'GBTClassificationModel')
          result = [margin > 0 ? 1 : 0, 1 / (1 + Math.exp(-2 * margin))];
        else
          result = [margin, null];
      } else {
        throw new Error('oracle does not know ' + st.cls);
      }
    }
    out.push(result.map(v => v === null ? 'NULL' : String(v)).join(','));
  }
  process.stdout.write(out.join('\n') + '\n');
}

main().catch(e => { console.error(e); process.exit(1); });
