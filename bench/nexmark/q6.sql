-- Nexmark q6: average selling price by seller, over each seller's last
-- closed auctions (Flink nexmark q6.sql; Flink itself cannot run it and lists
-- it as unsupported).
-- Deviations (checked against DuckDB by bench/nexmark/check.sh):
-- - Flink's Q6's inner query groups by A.id, A.seller, B.dateTime, which
--   makes every bid its own group; the query means each closed auction's
--   winning bid (Beam's Nexmark q6), so q6_closed groups by auction: A.id,
--   A.seller and A.expires, as q4 does. Each auction's MAX is emitted once,
--   final, when the watermark passes its expiry (q4.sql's header).
-- - The window is ordered by the auction's close, A.expires, then A.id to
--   break ties (Flink orders by B.dateTime, which the grouping above no
--   longer has); on a stream the first ORDER BY key must be an event-time
--   column: rows leave the OVER operator in that order once the watermark
--   passes them (docs/SEMANTICS.md, "Window functions (OVER)").
-- - Flink's file puts its WHERE range in ON, as q4 (the same for an inner
--   join); the sink is append: every closed auction gives one row, its
--   seller's average over it and the 10 auctions of that seller closed
--   before it (ROWS BETWEEN 10 PRECEDING AND CURRENT ROW, as Flink's text).
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

CREATE VIEW q6_closed AS
SELECT A.id, A.seller, A.expires, MAX(B.price) AS final
FROM auction AS A JOIN bid AS B
  ON A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
GROUP BY A.id, A.seller, A.expires;

CREATE SINK q6 WITH (connector = 'blackhole') AS
SELECT seller,
       AVG(final) OVER (PARTITION BY seller ORDER BY expires, id
                        ROWS BETWEEN 10 PRECEDING AND CURRENT ROW) AS avg_price
FROM q6_closed;
