// Writes small Spark ML model directories in Spark 3's layout (JSON metadata,
// Parquet data written by DuckDB with Spark's nested schemas) for stage types
// the reference model lacks, with rows to score and the expected outputs
// worked out here from the model definitions (Spark's rules: continuous
// splits left iff value <= threshold, NaN right; categorical left iff value in
// leftCategories; RF averages per-tree normalised class counts; LR sigmoid).
//
//   node model_fixtures.js OUT_DIR
// creates OUT_DIR/{rf,dt,lr}/ (model), OUT_DIR/{rf,dt,lr}.csv (rows) and
// OUT_DIR/{rf,dt,lr}.expected ("prediction,probability1", NULL when none).
'use strict';
const fs = require('fs');
const path = require('path');
const { DuckDBInstance } = require('@duckdb/node-api');

function meta(cls, uid, paramMap, extra) {
  return JSON.stringify(Object.assign({ class: cls, timestamp: 0, sparkVersion: '3.3.0', uid,
    paramMap, defaultParamMap: {} }, extra || {})) + '\n';
}
function writeMeta(dir, text) {
  fs.mkdirSync(path.join(dir, 'metadata'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'metadata', 'part-00000'), text);
}
const sqlList = (a, t) => a.length ? `[${a.map(v => String(v)).join(', ')}]::${t}[]` : `[]::${t}[]`;
const sqlStr = s => `'${s.replace(/'/g, "''")}'`;

// node: {id, pred, stats, left, right, feat, thr} or categorical {cats, ncat}
function nodeSql(n) {
  const split = n.left >= 0
    ? `{'featureIndex': ${n.feat}::INTEGER, 'leftCategoriesOrThreshold': ${sqlList(n.cats || [n.thr], 'DOUBLE')}, 'numCategories': ${n.cats ? n.ncat : -1}::INTEGER}`
    : `{'featureIndex': -1::INTEGER, 'leftCategoriesOrThreshold': []::DOUBLE[], 'numCategories': -1::INTEGER}`;
  return `{'id': ${n.id}::INTEGER, 'prediction': ${n.pred}::DOUBLE, 'impurity': 0.5::DOUBLE, ` +
    `'impurityStats': ${sqlList(n.stats || [0], 'DOUBLE')}, 'rawCount': 10::BIGINT, 'gain': 0.1::DOUBLE, ` +
    `'leftChild': ${n.left}::INTEGER, 'rightChild': ${n.right}::INTEGER, 'split': ${split}}`;
}

async function copy(con, select, file) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await con.run(`COPY (${select}) TO ${sqlStr(file)} (FORMAT PARQUET, COMPRESSION SNAPPY)`);
}

function walk(nodes, x) {
  let n = nodes[0];
  while (n.left >= 0) {
    const v = x[n.feat];
    const left = n.cats ? n.cats.includes(v) : v <= n.thr;
    n = nodes[left ? n.left : n.right];
  }
  return n;
}

async function main() {
  const out = process.argv[2];
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  const labels = ['red', 'green', 'blue'];
  // Rows: x (numeric, may be NULL), color (string, may be NULL or unseen).
  const rows = [];
  const xs = [-2, 0.5, 1, 1.0000001, 3, null, 7.5];
  const cs = ['red', 'green', 'blue', null, 'mauve'];
  for (const x of xs) for (const c of cs) rows.push([x, c]);
  const csv = 'x,color\n' + rows.map(r => `${r[0] === null ? '' : r[0]},${r[1] === null ? '' : r[1]}`).join('\n') + '\n';
  const idx = c => { const i = c === null ? -1 : labels.indexOf(c); return i < 0 ? labels.length : i; };
  const feats = r => [r[0] === null ? NaN : r[0], idx(r[1])];

  // Pipeline stages 0 (StringIndexer) and 1 (VectorAssembler) shared by rf and dt.
  async function prefix(dir) {
    writeMeta(dir, meta('org.apache.spark.ml.PipelineModel', 'P', { stageUids: ['SI_1', 'VA_1', 'M_1'] }));
    const si = path.join(dir, 'stages', '0_SI_1');
    writeMeta(si, meta('org.apache.spark.ml.feature.StringIndexerModel', 'SI_1',
      { inputCols: ['color'], outputCols: ['color_idx'], handleInvalid: 'keep' }));
    await copy(con, `SELECT [${sqlList(labels.map(sqlStr), 'VARCHAR')}] AS labelsArray`,
      path.join(si, 'data', 'part-00000-x.snappy.parquet'));
    writeMeta(path.join(dir, 'stages', '1_VA_1'), meta('org.apache.spark.ml.feature.VectorAssembler', 'VA_1',
      { inputCols: ['x', 'color_idx'], outputCol: 'features', handleInvalid: 'keep' }));
    return path.join(dir, 'stages', '2_M_1');
  }

  // Random forest classifier, 2 trees, 2 classes.
  const t0 = [
    { id: 0, pred: 0, left: 1, right: 2, feat: 0, thr: 1.0, stats: [5, 5] },
    { id: 1, pred: 0, left: -1, right: -1, stats: [8, 2] },
    { id: 2, pred: 1, left: 3, right: 4, feat: 1, cats: [0, 2], ncat: 4, stats: [3, 7] },
    { id: 3, pred: 1, left: -1, right: -1, stats: [1, 3] },
    { id: 4, pred: 0, left: -1, right: -1, stats: [5, 0] },
  ];
  const t1 = [
    { id: 0, pred: 1, left: 1, right: 2, feat: 1, cats: [1], ncat: 4, stats: [4, 6] },
    { id: 1, pred: 1, left: -1, right: -1, stats: [0, 6] },
    { id: 2, pred: 0, left: -1, right: -1, stats: [6, 4] },
  ];
  let m = await prefix(path.join(out, 'rf'));
  writeMeta(m, meta('org.apache.spark.ml.classification.RandomForestClassificationModel', 'M_1',
    { featuresCol: 'features' }, { numFeatures: 2, numClasses: 2, numTrees: 2 }));
  const rfRows = [...t0.map(n => `SELECT 0::INTEGER AS treeID, ${nodeSql(n)} AS nodeData`),
                  ...t1.map(n => `SELECT 1::INTEGER AS treeID, ${nodeSql(n)} AS nodeData`)].join(' UNION ALL ');
  await copy(con, `SELECT * FROM (${rfRows}) ORDER BY treeID, nodeData.id`, path.join(m, 'data', 'part-00000-a.snappy.parquet'));
  await copy(con, `SELECT 0::INTEGER AS treeID, '{}' AS metadata, 1.0::DOUBLE AS weights UNION ALL SELECT 1, '{}', 1.0`,
    path.join(m, 'treesMetadata', 'part-00000-b.snappy.parquet'));
  let exp = rows.map(r => {
    const x = feats(r);
    let raw = [0, 0];
    for (const t of [t0, t1]) {
      const s = walk(t, x).stats, tot = s[0] + s[1];
      raw = raw.map((v, i) => v + s[i] / tot);
    }
    const p1 = raw[1] / (raw[0] + raw[1]);
    return `${raw[1] > raw[0] ? 1 : 0},${p1}`;
  });
  fs.writeFileSync(path.join(out, 'rf.csv'), csv);
  fs.writeFileSync(path.join(out, 'rf.expected'), exp.join('\n') + '\n');

  // Decision tree regressor (node rows at top level, no treeID).
  const dt = [
    { id: 0, pred: 0, left: 1, right: 4, feat: 1, cats: [0, 3], ncat: 4 },
    { id: 1, pred: 0, left: 2, right: 3, feat: 0, thr: 0.5 },
    { id: 2, pred: -1.25, left: -1, right: -1 },
    { id: 3, pred: 2.5, left: -1, right: -1 },
    { id: 4, pred: 10, left: -1, right: -1 },
  ];
  m = await prefix(path.join(out, 'dt'));
  writeMeta(m, meta('org.apache.spark.ml.regression.DecisionTreeRegressionModel', 'M_1',
    { featuresCol: 'features' }, { numFeatures: 2 }));
  await copy(con, `SELECT unnest([${dt.map(nodeSql).join(', ')}], recursive := false) AS n`, path.join(out, 'tmp_dt.parquet'));
  await copy(con, `SELECT n.* FROM read_parquet(${sqlStr(path.join(out, 'tmp_dt.parquet'))})`,
    path.join(m, 'data', 'part-00000-c.snappy.parquet'));
  fs.unlinkSync(path.join(out, 'tmp_dt.parquet'));
  exp = rows.map(r => `${walk(dt, feats(r)).pred},NULL`);
  fs.writeFileSync(path.join(out, 'dt.csv'), csv);
  fs.writeFileSync(path.join(out, 'dt.expected'), exp.join('\n') + '\n');

  // A bare LogisticRegressionModel directory: inputs features_0..2; sparse
  // (CSC) coefficients, dense intercept, threshold 0.3.
  const coef = [0.75, 0, -1.5], icpt = 0.2;
  const lr = path.join(out, 'lr');
  writeMeta(lr, meta('org.apache.spark.ml.classification.LogisticRegressionModel', 'LR_1',
    { featuresCol: 'features', threshold: 0.3 }, { numFeatures: 3, numClasses: 2 }));
  await copy(con, `SELECT 2::INTEGER AS numClasses, 3::INTEGER AS numFeatures,
      {'type': 1::TINYINT, 'size': NULL::INTEGER, 'indices': NULL::INTEGER[], 'values': [${icpt}]::DOUBLE[]} AS interceptVector,
      {'type': 0::TINYINT, 'numRows': 1::INTEGER, 'numCols': 3::INTEGER, 'colPtrs': [0, 1, 1, 2]::INTEGER[],
       'rowIndices': [0, 0]::INTEGER[], 'values': [${coef[0]}, ${coef[2]}]::DOUBLE[], 'isTransposed': false} AS coefficientMatrix,
      false AS isMultinomial`, path.join(lr, 'data', 'part-00000-d.snappy.parquet'));
  const lrRows = [[0, 0, 0], [1, 2, 0.5], [-3, 1, 1], [2, 0, -1], [0.4, 5, 0.1]];
  fs.writeFileSync(path.join(out, 'lr.csv'), 'features_0,features_1,features_2\n' + lrRows.map(r => r.join(',')).join('\n') + '\n');
  exp = lrRows.map(r => {
    const mg = icpt + r.reduce((s, v, i) => s + v * coef[i], 0);
    const p = 1 / (1 + Math.exp(-mg));
    return `${p > 0.3 ? 1 : 0},${p}`;
  });
  fs.writeFileSync(path.join(out, 'lr.expected'), exp.join('\n') + '\n');
}

main().catch(e => { console.error(e); process.exit(1); });
