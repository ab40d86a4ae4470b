// The reference side of bench/evtime.sh: DuckDB, one thread, over the same
// N events evtime_bench.c streams (k = v % 100000, ts = second v / 100000
// minus (v * 7919) % 4), timed with the process's CPU time:
//   genagg  generating the events and GROUP BY window, k in one query (the
//           same work as sluice's pipeline);
//   agg     GROUP BY window, k over the events materialised in a table.
// Both keep the windows the final watermark (max ts − 5 s) closed, as
// sluice's append mode emits exactly those. Prints
// "<name> <cpu seconds> <windows> <sum of counts> <sum of sums>".
//   node evtime_duckdb.js N
const path = require('path');
const { DuckDBInstance } = require(path.join(__dirname, '../tests/oracle/node_modules/@duckdb/node-api'));

const n = BigInt(process.argv[2] || '10000000');
const events = `SELECT range % 100000 AS k, range AS v,
    (range // 100000 - (range * 7919) % 4) * 1000000 AS us FROM range(${n})`;
const agg = (src) => `WITH e AS (${src}), w AS (SELECT max(us) - 5000000 AS wm FROM e),
  g AS (SELECT k, us - (((us % 10000000) + 10000000) % 10000000) AS ws, count(*) AS c, sum(v) AS s FROM e GROUP BY k, ws
        HAVING ws + 10000000 <= (SELECT wm FROM w))
  SELECT count(*), sum(c), sum(s) FROM g`;

(async () => {
  const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
  const con = await inst.connect();
  const timed = async (name, sql) => {
    const c0 = process.cpuUsage();
    const r = (await con.runAndReadAll(sql)).getRows()[0];
    const c = process.cpuUsage(c0);
    console.log(`${name} ${((c.user + c.system) / 1e6).toFixed(3)} ${r.map(String).join(' ')}`);
  };
  await timed('genagg', agg(events));
  await con.run(`CREATE TABLE ev AS ${events}`);
  await timed('agg', agg('SELECT * FROM ev'));
})().catch((e) => { console.error('evtime_duckdb: ' + e.message); process.exit(2); });
