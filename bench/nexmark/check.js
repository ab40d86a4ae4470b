// The Nexmark result check: DuckDB evaluates each windowed or join query of
// bench/nexmark/ in one batch over the events that `sluice gen nexmark`
// wrote, written here from the Flink nexmark definitions (not from sluice's
// rewrites), and compares the rows with what `sluice run` wrote to a CSV
// file sink for the same events.
//
//   node check.js EVENTS_DIR OUT_DIR q3 q4 q5 q6 q7 q8 q15 q18 q19
//
// EVENTS_DIR holds person.json, auction.json, bid.json; OUT_DIR/qN holds the
// file sink's part-*.csv. Windowed queries are compared on closed windows
// only: windows whose end is at or before the final watermark, computed
// here as Flink/Spark define it (max event time of each source minus its
// 4-second delay, the minimum over the query's sources). Update-mode
// results (q15) are compared on the last row each key received.
// Prints one line per query and exits 1 if any differs.
// @duckdb/node-api comes from tests/oracle (NODE_PATH points there).
const { DuckDBInstance } = require('@duckdb/node-api');

const [evDir, outDir, ...queries] = process.argv.slice(2);
const SEC = 1000000; // timestamps are compared as microseconds since the epoch
const DELAY = 4 * SEC;

const tables = {
  person: "id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard VARCHAR, city VARCHAR, state VARCHAR, dateTime TIMESTAMP, extra VARCHAR",
  auction: "id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT, reserve BIGINT, dateTime TIMESTAMP, expires TIMESTAMP, seller BIGINT, category BIGINT, extra VARCHAR",
  bid: "auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, dateTime TIMESTAMP, extra VARCHAR",
};

function columnsStruct(decl) {
  return '{' + decl.split(', ').map((c) => {
    const [n, t] = c.split(' ');
    return `'${n}': '${t}'`;
  }).join(', ') + '}';
}

// What each query must produce (DuckDB, Flink's semantics), what sluice
// wrote (typed the same way), and the sources whose watermarks close it.
// `wm` is substituted with the final watermark in microseconds.
const checks = {
  // Average price per category: each auction's highest bid within its
  // lifetime, over the auctions whose expiry the final watermark passed (an
  // auction closes when the watermark is past A.expires), averaged per
  // category; update mode: the last row of each category.
  q4: {
    sources: ['auction', 'bid'],
    want: `WITH win AS (SELECT A.id, A.category, max(B.price) AS final
                        FROM auction A JOIN bid B ON A.id = B.auction
                        WHERE B.dateTime BETWEEN A.dateTime AND A.expires AND epoch_us(A.expires) < wm
                        GROUP BY A.id, A.category)
           SELECT category, avg(final) FROM win GROUP BY category`,
    update: 'category',
    got: 'SELECT CAST(category AS BIGINT), CAST(avg_final AS DOUBLE) FROM got',
  },
  // Average selling price by seller: per closed auction (as q4), its
  // seller's average over it and the 10 auctions of that seller closed
  // before it, in the order of their expiry (then id).
  q6: {
    sources: ['auction', 'bid'],
    want: `WITH closed AS (SELECT A.id, A.seller, A.expires, max(B.price) AS final
                           FROM auction A JOIN bid B ON A.id = B.auction
                           WHERE B.dateTime BETWEEN A.dateTime AND A.expires AND epoch_us(A.expires) < wm
                           GROUP BY A.id, A.seller, A.expires)
           SELECT seller, avg(final) OVER (PARTITION BY seller ORDER BY expires, id
                                           ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)
           FROM closed`,
    got: 'SELECT CAST(seller AS BIGINT), CAST(avg_price AS DOUBLE) FROM got',
  },
  // Find last bid: the latest bid of each (bidder, auction); update mode,
  // the last row of each (bidder, auction). Compared on the key and the
  // bid's time (two bids of a pair in the same millisecond tie).
  q18: {
    sources: ['bid'],
    want: `SELECT bidder, auction, epoch_us(dateTime) FROM (
             SELECT *, row_number() OVER (PARTITION BY bidder, auction ORDER BY dateTime DESC) AS rn FROM bid)
           WHERE rn <= 1`,
    update: 'bidder, auction',
    got: 'SELECT CAST(bidder AS BIGINT), CAST(auction AS BIGINT), epoch_us(CAST(dateTime AS TIMESTAMPTZ)) FROM got',
  },
  // Auction top-10 price: the ten highest bids of each auction; update mode,
  // the last row of each (auction, rank). Compared on the auction, the rank
  // and the price (equal prices tie).
  q19: {
    sources: ['bid'],
    want: `SELECT auction, rank_number, price FROM (
             SELECT *, row_number() OVER (PARTITION BY auction ORDER BY price DESC) AS rank_number FROM bid)
           WHERE rank_number <= 10`,
    update: 'auction, rank_number',
    got: 'SELECT CAST(auction AS BIGINT), CAST(rank_number AS BIGINT), CAST(price AS BIGINT) FROM got',
  },
  // Local item suggestion: an unwindowed inner join, compared whole.
  q3: {
    sources: ['auction', 'person'],
    want: `SELECT P.name, P.city, P.state, A.id FROM auction A JOIN person P ON A.seller = P.id
           WHERE A.category = 10 AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA')`,
    got: 'SELECT name, city, state, CAST(id AS BIGINT) FROM got',
  },
  // Hot items: per 10 s window sliding by 2 s, the auctions with the most bids.
  q5: {
    sources: ['bid'],
    want: `WITH w AS (SELECT auction, (epoch_us(dateTime) // (2*${SEC})) * (2*${SEC}) - k * (2*${SEC}) AS s
                      FROM bid, range(5) t(k)),
                ab AS (SELECT auction, count(*) AS num, s FROM w GROUP BY auction, s
                       HAVING s + 10*${SEC} <= wm),
                mb AS (SELECT s, max(num) AS maxn FROM ab GROUP BY s)
           SELECT ab.auction, ab.num FROM ab JOIN mb ON ab.s = mb.s AND ab.num >= mb.maxn`,
    got: 'SELECT CAST(auction AS BIGINT), CAST(num AS BIGINT) FROM got',
  },
  // Highest bid: the bids priced at the maximum of a 10 s tumbling window,
  // dated within that window (Flink's BETWEEN is inclusive at both ends).
  q7: {
    sources: ['bid'],
    want: `WITH mx AS (SELECT (epoch_us(dateTime) // (10*${SEC})) * (10*${SEC}) + 10*${SEC} AS we,
                              max(price) AS maxprice
                       FROM bid GROUP BY 1 HAVING we <= wm)
           SELECT B.auction, B.price, B.bidder, epoch_us(B.dateTime), B.extra FROM bid B JOIN mx
             ON B.price = mx.maxprice AND epoch_us(B.dateTime) BETWEEN mx.we - 10*${SEC} AND mx.we`,
    got: `SELECT CAST(auction AS BIGINT), CAST(price AS BIGINT), CAST(bidder AS BIGINT),
                 epoch_us(CAST(dateTime AS TIMESTAMPTZ)), extra FROM got`,
  },
  // Monitor new users: people who opened an auction in the 10 s window in
  // which they registered.
  q8: {
    sources: ['person', 'auction'],
    want: `WITH p AS (SELECT DISTINCT id, name, (epoch_us(dateTime) // (10*${SEC})) * (10*${SEC}) AS s FROM person),
                a AS (SELECT DISTINCT seller, (epoch_us(dateTime) // (10*${SEC})) * (10*${SEC}) AS s FROM auction)
           SELECT p.id, p.name, p.s FROM p JOIN a ON p.id = a.seller AND p.s = a.s
           WHERE p.s + 10*${SEC} <= wm`,
    got: 'SELECT CAST(id AS BIGINT), name, epoch_us(CAST(starttime AS TIMESTAMPTZ)) FROM got',
  },
  // Bidding statistics per day (update mode: the last row of each day).
  q15: {
    sources: ['bid'],
    want: `SELECT CAST(dateTime AS DATE) AS day, count(*),
             count(*) FILTER (WHERE price < 10000),
             count(*) FILTER (WHERE price >= 10000 AND price < 1000000),
             count(*) FILTER (WHERE price >= 1000000),
             count(DISTINCT bidder),
             count(DISTINCT bidder) FILTER (WHERE price < 10000),
             count(DISTINCT bidder) FILTER (WHERE price >= 10000 AND price < 1000000),
             count(DISTINCT bidder) FILTER (WHERE price >= 1000000),
             count(DISTINCT auction),
             count(DISTINCT auction) FILTER (WHERE price < 10000),
             count(DISTINCT auction) FILTER (WHERE price >= 10000 AND price < 1000000),
             count(DISTINCT auction) FILTER (WHERE price >= 1000000)
           FROM bid GROUP BY 1`,
    update: 'day',
    got: `SELECT CAST(day AS DATE), CAST(total_bids AS BIGINT), CAST(rank1_bids AS BIGINT),
                 CAST(rank2_bids AS BIGINT), CAST(rank3_bids AS BIGINT), CAST(total_bidders AS BIGINT),
                 CAST(rank1_bidders AS BIGINT), CAST(rank2_bidders AS BIGINT), CAST(rank3_bidders AS BIGINT),
                 CAST(total_auctions AS BIGINT), CAST(rank1_auctions AS BIGINT),
                 CAST(rank2_auctions AS BIGINT), CAST(rank3_auctions AS BIGINT) FROM got`,
  },
};

(async () => {
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  const one = async (sql) => (await con.runAndReadAll(sql)).getRows()[0];
  const loaded = new Set();
  let failed = 0;
  for (const q of queries) {
    const c = checks[q];
    if (!c) { console.log(`${q}: no DuckDB check for this query`); failed++; continue; }
    for (const t of c.sources) {
      if (loaded.has(t)) continue;
      await con.run(`CREATE TABLE ${t} AS SELECT * FROM read_json('${evDir}/${t}.json',
                     format = 'newline_delimited', columns = ${columnsStruct(tables[t])})`);
      loaded.add(t);
    }
    let wm = null;
    for (const t of c.sources) {
      const [m] = await one(`SELECT epoch_us(max(dateTime)) FROM ${t}`);
      const w = Number(m) - DELAY;
      if (wm === null || w < wm) wm = w;
    }
    await con.run('DROP VIEW IF EXISTS got');
    const parts = `${outDir}/${q}/part-*.csv`;
    const haveParts = (await one(`SELECT count(*) FROM glob('${parts}')`))[0] > 0n;
    if (c.update) {
      // the row of each key from the last batch (part file) that wrote it
      await con.run(haveParts
        ? `CREATE VIEW got AS SELECT * EXCLUDE (filename, rn) FROM (
             SELECT *, row_number() OVER (PARTITION BY ${c.update} ORDER BY filename DESC) AS rn
             FROM read_csv('${parts}', header = true, all_varchar = true, filename = true)) WHERE rn = 1`
        : `CREATE VIEW got AS SELECT NULL AS ${c.update} WHERE false`);
    } else {
      await con.run(haveParts
        ? `CREATE VIEW got AS SELECT * FROM read_csv('${parts}', header = true, all_varchar = true)`
        : 'CREATE VIEW got AS SELECT * FROM (SELECT 1) WHERE false');
    }
    const want = c.want.replace(/\bwm\b/g, String(wm));
    await con.run(`CREATE OR REPLACE TEMP TABLE w_${q} AS ${want}`);
    let g;
    try {
      await con.run(`CREATE OR REPLACE TEMP TABLE g_${q} AS ${c.got}`);
      g = `g_${q}`;
    } catch (e) {
      if (haveParts) throw e;
      g = `(SELECT * FROM w_${q} WHERE false)`; // sluice wrote nothing
    }
    const [n, missing, extra, nGot] = await one(`SELECT
        (SELECT count(*) FROM w_${q}),
        (SELECT count(*) FROM (SELECT * FROM w_${q} EXCEPT ALL SELECT * FROM ${g})),
        (SELECT count(*) FROM (SELECT * FROM ${g} EXCEPT ALL SELECT * FROM w_${q})),
        (SELECT count(*) FROM ${g})`);
    const wmText = new Date(wm / 1000).toISOString();
    if (missing === 0n && extra === 0n && n > 0n) {
      console.log(`${q}: ok, ${n} rows equal to DuckDB's (final watermark ${wmText})`);
    } else {
      failed++;
      console.log(`${q}: FAIL, DuckDB has ${n} rows, sluice ${nGot}: sluice misses ${missing} and adds ${extra}` +
                  ` (final watermark ${wmText})`);
      const show = await con.runAndReadAll(`(SELECT 'missing' AS d, * FROM (SELECT * FROM w_${q} EXCEPT ALL SELECT * FROM ${g}) LIMIT 3)
                                            UNION ALL (SELECT 'extra', * FROM (SELECT * FROM ${g} EXCEPT ALL SELECT * FROM w_${q}) LIMIT 3)`);
      for (const r of show.getRows()) console.log('   ' + r.map((v) => (v === null ? 'null' : String(v))).join(' '));
    }
  }
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.error('check.js: ' + e.message); process.exit(2); });
