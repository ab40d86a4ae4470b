// The reference side of bench/agg.sh: DuckDB, one thread, runs the same
// two aggregations over the same CSV files that sluice read, times each
// with the process's CPU time, and writes its answers as CSV next to
// sluice's so agg.sh can compare them.
//   node agg_duckdb.js run IN_DIR OUT_DIR
// prints one line per query: "<name> <cpu seconds> <groups>";
//   node agg_duckdb.js compare OUT_DIR
// compares sluice's answers (OUT_DIR/plain/part-*.csv, the last batch in
// complete mode; OUT_DIR/windowed/part-*.csv, every batch in append mode)
// with DuckDB's and prints "<name> <groups> <missing> <extra> <differing>".
const path = require('path');
const { DuckDBInstance } = require(path.join(__dirname, '../tests/oracle/node_modules/@duckdb/node-api'));

const [cmd, inDir, outDir] = process.argv.slice(2);
const src = `read_csv('${inDir}/part-*.csv', header = true,
  columns = {'k': 'VARCHAR', 'v': 'BIGINT', 'x': 'DOUBLE', 'ts': 'TIMESTAMP'})`;
const queries = {
  plain: `SELECT k, count(*) AS n, sum(v) AS s, avg(x) AS a, min(x) AS mn, max(v) AS mx FROM ${src} GROUP BY k`,
  // Spark's tumbling window; only windows the final watermark (max ts − 10 s)
  // closed, as sluice's append mode emits exactly those.
  windowed: `WITH e AS (SELECT * FROM ${src}),
    w AS (SELECT max(ts) - INTERVAL 10 SECOND AS wm FROM e)
    SELECT k, time_bucket(INTERVAL 10 MINUTE, ts) AS ws, count(*) AS n, sum(v) AS s, avg(x) AS a,
           min(x) AS mn, max(v) AS mx
    FROM e GROUP BY k, ws HAVING ws + INTERVAL 10 MINUTE <= (SELECT wm FROM w)`,
};

// Same keys on both sides, counts and integer sums equal, doubles within
// 1e-9 relative (sums of doubles in another order differ in the last bits).
const near = (a, b) => `abs(${a} - ${b}) <= 1e-9 * greatest(1, abs(${b}))`;
async function compare(con, dir) {
  const read = (f) => `read_csv('${f}', header = true, all_varchar = true)`;
  const last = (await con.runAndReadAll(`SELECT max(file) FROM glob('${dir}/plain/part-*.csv')`)).getRows()[0][0];
  const sides = {
    plain: [read(last), read(`${dir}/duckdb_plain.csv`), 'g.k = w.k'],
    windowed: [read(`${dir}/windowed/part-*.csv`), read(`${dir}/duckdb_windowed.csv`),
      'g.k = w.k AND CAST(g.window_start AS TIMESTAMP) = CAST(w.ws AS TIMESTAMP)'],
  };
  for (const [name, [got, want, on]] of Object.entries(sides)) {
    const d = (c) => near(`CAST(g.${c} AS DOUBLE)`, `CAST(w.${c} AS DOUBLE)`);
    const r = (await con.runAndReadAll(`SELECT count(w.k), count(*) FILTER (WHERE g.k IS NULL),
        count(*) FILTER (WHERE w.k IS NULL),
        count(*) FILTER (WHERE g.k IS NOT NULL AND w.k IS NOT NULL AND NOT (g.n = w.n AND g.s = w.s
          AND g.mx = w.mx AND ${d('a')} AND ${d('mn')}))
      FROM ${got} g FULL OUTER JOIN ${want} w ON ${on}`)).getRows()[0];
    console.log(`${name} ${r.join(' ')}`);
  }
}

(async () => {
  if (cmd === 'compare') {
    const con = await (await DuckDBInstance.create(':memory:')).connect();
    await compare(con, inDir);
    return;
  }
  const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
  const con = await inst.connect();
  for (const [name, sql] of Object.entries(queries)) {
    const t0 = process.cpuUsage();
    await con.run(`CREATE TABLE r_${name} AS ${sql}`);
    const t = process.cpuUsage(t0);
    const cpu = (t.user + t.system) / 1e6;
    const n = (await con.runAndReadAll(`SELECT count(*) FROM r_${name}`)).getRows()[0][0];
    await con.run(`COPY (SELECT * FROM r_${name}) TO '${outDir}/duckdb_${name}.csv' (HEADER)`);
    console.log(`${name} ${cpu.toFixed(3)} ${n}`);
  }
})().catch((e) => { console.error('agg_duckdb: ' + e.message); process.exit(2); });
