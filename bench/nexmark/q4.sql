-- Nexmark q4: average price for a category. The winning (highest) bid of
-- each auction within its lifetime, averaged per category (Flink nexmark
-- q4.sql).
-- Deviations (same result on closed auctions, checked against DuckDB by
-- bench/nexmark/check.sh):
-- - Flink's WHERE B.dateTime BETWEEN A.dateTime AND A.expires is in ON (the
--   same for an inner join): sluice reads a join's event-time range only
--   from ON. With it the join forgets an auction once the watermark passes
--   its expiry and a bid once it passes the bid's time, and every row it
--   emits has A.expires >= its input watermark, so A.expires carries event
--   time (docs/SEMANTICS.md, "Closing groups on an event-time key").
-- - The inner aggregation also groups by A.expires (one value per auction,
--   so the groups are Flink's): keyed on an event-time column, each
--   auction's MAX is emitted once, final, when the watermark passes its
--   expiry (no bid can join it later), and its state dropped.
-- - Flink runs q4 as a retracting changelog (the outer AVG retracts an
--   auction's old MAX when a higher bid comes). Here the outer AVG is an
--   ordinary update-mode aggregation over the final MAXes: each batch emits
--   the categories whose average changed, and an auction counts from the
--   batch its expiry closed, not from its first bid. On the auctions that
--   have closed, the averages equal Flink's final ones.
--
-- Common deviations: see README.md in this directory.

SET 'trigger' = 'availableNow';

CREATE SOURCE auction (
    id BIGINT, itemName STRING, description STRING, initialBid BIGINT, reserve BIGINT,
    dateTime TIMESTAMP, expires TIMESTAMP, seller BIGINT, category BIGINT, extra STRING,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'auction', events = '${EVENTS}',
        maxEventsPerTrigger = '${BATCH}');

CREATE SOURCE bid (
    auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING,
    dateTime TIMESTAMP, extra STRING,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = '${EVENTS}',
        maxEventsPerTrigger = '${BATCH}');

CREATE VIEW q4_winning AS
SELECT MAX(B.price) AS final, A.category
FROM auction A JOIN bid B
  ON A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
GROUP BY A.id, A.category, A.expires;

CREATE SINK q4 WITH (connector = 'blackhole', 'output.mode' = 'update') AS
SELECT category, AVG(final) AS avg_final FROM q4_winning GROUP BY category;
