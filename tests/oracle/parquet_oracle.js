// DuckDB as the oracle for sluice's Parquet reader and writer.
//
//   node parquet_oracle.js read FILE          DuckDB's reading of FILE, in pqtool's dump format
//   node parquet_oracle.js write FILE CODEC VERSION ROWS
//                                             DuckDB writes a table of many types with NULLs to
//                                             FILE; prints the table's rows (from the table, not
//                                             the file) in the dump format
//   node parquet_oracle.js nested FILE CODEC  DuckDB writes lists, structs and maps; prints the
//                                             table's rows as one JSON array (maps as arrays of
//                                             {key, value}, sluice's choice)
//   node parquet_oracle.js cmp A B            compares two dump files; exit 1 on a difference
//   node parquet_oracle.js jsoncmp A B        compares two JSON documents
//   node parquet_oracle.js readdir DIR COL    every file under DIR (Hive partitions), ordered by COL
//   node parquet_oracle.js tojson FILE        DuckDB's reading of a (nested) FILE as a JSON array
//   node parquet_oracle.js bench FILE ROWS    DuckDB writes and reads the prediction schema
//
// The dump format: a first line {"schema":[[name,TYPE],…]} with sluice type names, then one
// JSON array per row: BIGINT and TIMESTAMP (µs) as strings (exact), DATE as days, DOUBLE as
// numbers, NaN/±Infinity as strings.
'use strict';
const fs = require('fs');
const { DuckDBInstance } = require('@duckdb/node-api');

function sluiceType(t) {
  if (t === 'BOOLEAN') return 'BOOLEAN';
  if (['INTEGER', 'SMALLINT', 'TINYINT', 'USMALLINT', 'UTINYINT'].includes(t)) return 'INT';
  if (['BIGINT', 'UINTEGER'].includes(t)) return 'BIGINT';
  if (t === 'DOUBLE' || t === 'FLOAT' || t.startsWith('DECIMAL')) return 'DOUBLE';
  if (t === 'VARCHAR') return 'STRING';
  if (t.startsWith('TIMESTAMP')) return 'TIMESTAMP';
  if (t === 'DATE') return 'DATE';
  throw new Error('no sluice type for ' + t);
}

function q(name) { return '"' + name.replace(/"/g, '""') + '"'; }

function convExpr(name, t) {
  const c = q(name);
  switch (sluiceType(t)) {
    case 'BIGINT': return `CAST(${c} AS VARCHAR)`;
    case 'TIMESTAMP': return `CAST(epoch_us(${c}) AS VARCHAR)`;
    case 'DATE': return `CAST(datediff('day', DATE '1970-01-01', ${c}) AS INTEGER)`;
    case 'DOUBLE': return `CAST(${c} AS DOUBLE)`;
    case 'INT': return `CAST(${c} AS INTEGER)`;
    default: return c;
  }
}

function jsonValue(v) {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return '"NaN"';
    if (v === Infinity) return '"Infinity"';
    if (v === -Infinity) return '"-Infinity"';
    return JSON.stringify(v);
  }
  if (typeof v === 'bigint') return v.toString();
  return JSON.stringify(v);
}

async function dump(con, from) {
  const desc = (await con.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`)).getRows();
  const schema = desc.map(r => [r[0], sluiceType(r[1])]);
  const exprs = desc.map(r => convExpr(r[0], r[1])).join(', ');
  const rows = (await con.runAndReadAll(`SELECT ${exprs} FROM ${from}`)).getRows();
  const out = [JSON.stringify({ schema })];
  for (const row of rows) out.push('[' + row.map(jsonValue).join(',') + ']');
  return out.join('\n') + '\n';
}

function parseDump(text) {
  return text.split('\n').filter(l => l.length).map(l => JSON.parse(l));
}

function same(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return a === b || (a !== a && b !== b);
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a), kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && same(a[k], b[k]));
  }
  return a === b;
}

async function main() {
  const [cmd, ...args] = process.argv.slice(2);
  if (cmd === 'cmp' || cmd === 'jsoncmp') {
    const a = cmd === 'cmp' ? parseDump(fs.readFileSync(args[0], 'utf8')) : JSON.parse(fs.readFileSync(args[0], 'utf8'));
    const b = cmd === 'cmp' ? parseDump(fs.readFileSync(args[1], 'utf8')) : JSON.parse(fs.readFileSync(args[1], 'utf8'));
    if (a.length !== b.length) { console.log(`row count differs: ${a.length} vs ${b.length}`); process.exit(1); }
    for (let i = 0; i < a.length; i++)
      if (!same(a[i], b[i])) {
        console.log(`entry ${i} differs:\n  ${JSON.stringify(a[i])}\n  ${JSON.stringify(b[i])}`);
        process.exit(1);
      }
    console.log(`same: ${a.length} entries`);
    return;
  }
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  if (cmd === 'read') {
    process.stdout.write(await dump(con, `read_parquet('${args[0]}')`));
  } else if (cmd === 'write') {
    const [file, codec, version, rows] = args;
    await con.run(`CREATE TABLE t AS SELECT
      CASE WHEN i % 7 = 0 THEN NULL ELSE i % 3 = 0 END AS b,
      CASE WHEN i % 11 = 0 THEN NULL ELSE (hash(i) % 2000001)::INTEGER - 1000000 END AS i32,
      CASE WHEN i % 13 = 0 THEN NULL ELSE (hash(i * 3) >> 2)::BIGINT - 2305843009213693952 END AS i64,
      CASE WHEN i % 5 = 0 THEN NULL ELSE (hash(i * 5) % 1000000)::DOUBLE / 1024 - 300 END AS d,
      CASE WHEN i % 17 = 0 THEN NULL ELSE 'str-' || (hash(i * 7) % 500)::VARCHAR ||
           CASE WHEN i % 4 = 0 THEN ' ✓ ünï' ELSE '' END END AS s,
      CASE WHEN i % 9 = 0 THEN NULL ELSE 'u' || i::VARCHAR || repeat('x', (i % 13)::INTEGER) END AS uniq,
      CASE WHEN i % 19 = 0 THEN NULL ELSE make_timestamp((1700000000000000 + hash(i * 11) % 100000000000)::BIGINT) END AS ts,
      CASE WHEN i % 23 = 0 THEN NULL ELSE make_timestamp((1600000000000000 + hash(i * 13) % 100000000000)::BIGINT)::TIMESTAMPTZ END AS tstz,
      CASE WHEN i % 29 = 0 THEN NULL ELSE DATE '1950-01-01' + (hash(i * 17) % 40000)::INTEGER END AS dt,
      (i % 100 - 50)::TINYINT AS tiny, (i % 1000)::SMALLINT AS small, i::UINTEGER + 4000000000 AS ui,
      (i * 1.5)::FLOAT AS f, CASE WHEN i % 31 = 0 THEN NULL ELSE (i / 100 - 7)::DECIMAL(9,2) END AS dec9,
      (i * 1234567 - 99999)::DECIMAL(18,3) AS dec18, (i * 3)::DECIMAL(30,4) AS dec30,
      i::BIGINT AS seq
      FROM range(${Number(rows)}) r(i)`);
    await con.run(`COPY t TO '${file}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 2048, PARQUET_VERSION ${version})`);
    process.stdout.write(await dump(con, 't ORDER BY seq'));
  } else if (cmd === 'nested') {
    const [file, codec] = args;
    await con.run(`CREATE TABLE n AS SELECT
      i AS id,
      CASE WHEN i % 5 = 0 THEN NULL ELSE [j * 10 + i FOR j IN range(i % 4)] END AS ints,
      [CASE WHEN j % 2 = 0 THEN NULL ELSE 'v' || j::VARCHAR END FOR j IN range(i % 3)] AS strs,
      CASE WHEN i % 6 = 0 THEN NULL ELSE {'a': i, 'b': CASE WHEN i % 4 = 0 THEN NULL ELSE 'x' || i::VARCHAR END,
                                            'c': {'d': i * 0.5, 'e': [i, i + 1]}} END AS st,
      [{'k': j, 'tags': ['t' || j::VARCHAR]} FOR j IN range(i % 3)] AS los,
      CASE WHEN i % 3 = 0 THEN NULL ELSE [[j FOR j IN range(k)] FOR k IN range(i % 4)] END AS lol,
      CASE WHEN i % 7 = 0 THEN NULL ELSE MAP(['m' || i::VARCHAR, 'n'], [i, NULL]) END AS mp,
      i % 2 = 0 AS flag
      FROM range(40) r(i)`);
    await con.run(`COPY n TO '${file}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 16)`);
    const rows = (await con.runAndReadAll(`SELECT to_json({'id': id, 'ints': ints, 'strs': strs, 'st': st,
      'los': los, 'lol': lol, 'mp': map_entries(mp), 'flag': flag})::VARCHAR FROM n ORDER BY id`)).getRows();
    process.stdout.write('[' + rows.map(r => r[0]).join(',\n') + ']\n');
  } else if (cmd === 'readdir') {
    // every Parquet file under a sink directory (Hive partitions as columns), ordered
    const [dir, order] = args;
    process.stdout.write(await dump(con, `(SELECT * FROM read_parquet('${dir}/**/*.parquet', hive_partitioning = true,
      hive_types_autocast = false) ORDER BY ${q(order)})`));
  } else if (cmd === 'tojson') {
    const rows = (await con.runAndReadAll(`SELECT to_json(t)::VARCHAR FROM read_parquet('${args[0]}') t`)).getRows();
    process.stdout.write('[' + rows.map(r => r[0]).join(',\n') + ']\n');
  } else if (cmd === 'bench') {
    const [file, rows] = args;
    const n = Number(rows);
    await con.run(`CREATE TABLE p AS SELECT
      'ID' || lpad(((i * 7919) % 1000000)::VARCHAR, 7, '0') AS "ID",
      make_timestamp(1700000000000000 + i * 1000 - (1700000000000000 + i * 1000) % 30000000)::TIMESTAMPTZ AS window_start,
      make_timestamp(1700000000000000 + i * 1000 - (1700000000000000 + i * 1000) % 30000000 + 30000000)::TIMESTAMPTZ AS window_end,
      make_timestamp(1700000000000000 + i * 1000)::TIMESTAMPTZ AS ts,
      (hash(i) % 2)::DOUBLE AS prediction,
      ['> 6 Months', 'Next Month', '3 Months', '4 Months', '5 Months', '6 Months'][(hash(i * 3) % 6)::INTEGER + 1] AS "Top-up_Month"
      FROM range(${n}) r(i)`);
    let t0 = process.hrtime.bigint();
    await con.run(`COPY p TO '${file}' (FORMAT parquet, COMPRESSION snappy)`);
    let t1 = process.hrtime.bigint();
    const bytes = fs.statSync(file).size;
    const w = Number(t1 - t0) / 1e9;
    console.log(`duckdb write: ${n} rows, ${(bytes / 1e6).toFixed(1)} MB file, ${w.toFixed(3)} s, ${(n / w).toFixed(0)} rows/s, ${(bytes / 1e6 / w).toFixed(1)} MB/s`);
    t0 = process.hrtime.bigint();
    // materialise every column, as sluice's reader does (a count(*) would skip decoding)
    const r = (await con.runAndReadAll(`SELECT count(*), count("ID"), max(window_start), max(window_end), max(ts),
      sum(prediction), count("Top-up_Month") FROM read_parquet('${file}')`)).getRows();
    t1 = process.hrtime.bigint();
    const rd = Number(t1 - t0) / 1e9;
    if (Number(r[0][0]) !== n) throw new Error('duckdb read ' + r[0][0] + ' rows');
    console.log(`duckdb read:  ${n} rows, ${(bytes / 1e6).toFixed(1)} MB file, ${rd.toFixed(3)} s, ${(n / rd).toFixed(0)} rows/s, ${(bytes / 1e6 / rd).toFixed(1)} MB/s`);
  } else {
    console.error('usage: parquet_oracle.js read|write|nested|cmp|jsoncmp|bench …');
    process.exit(2);
  }
}

main().catch(e => { console.error(e.message || e); process.exit(2); });
