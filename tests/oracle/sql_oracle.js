// Runs SQL statements in an in-memory DuckDB and prints the last one's
// rows, one per line, cells separated by one space (NULL as "null"), in the
// order the query gives. Used by script tests as the batch oracle:
//   node sql_oracle.js "CREATE VIEW …; SELECT …"
const { DuckDBInstance } = require('@duckdb/node-api');

(async () => {
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  const stmts = process.argv[2].split(';').map((s) => s.trim()).filter((s) => s.length);
  for (let i = 0; i < stmts.length - 1; i++) await con.run(stmts[i]);
  const res = await con.runAndReadAll(stmts[stmts.length - 1]);
  const out = res.getRows().map((r) => r.map((v) => (v === null ? 'null' : String(v))).join(' '));
  process.stdout.write(out.length ? out.join('\n') + '\n' : '');
})().catch((e) => { console.error('sql_oracle: ' + e.message); process.exit(2); });
