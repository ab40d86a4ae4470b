-- Nexmark q19: auction TOP-10 price. The ten highest bids of each auction
-- (Flink nexmark q19.sql, ROW_NUMBER() Top-N).
-- NOT RUNNABLE YET: sluice parses ROW_NUMBER() OVER (…) now, but its OVER on a
-- stream emits each row once, in ascending event-time order, when the
-- watermark passes it (docs/SEMANTICS.md, "Window functions (OVER)"), and
-- refuses this ORDER BY: the ten highest bids of each auction changes as bids
-- arrive, which needs an update-mode top-N operator (or retractions, as
-- Flink emits). Kept as the definition to implement against.
--
-- What would run it: a top-N operator for ROW_NUMBER() OVER (PARTITION BY
-- auction ORDER BY price DESC) <= 10 that keeps the 10 highest bids per
-- auction and, in update mode, emits the changed ranks of an auction as
-- upserts keyed by (auction, rank_number) (Flink emits retractions; Spark's
-- update mode has none). The syntax is parsed and bound already
-- (src/plan/binder.c, bind_over); the operator is what is missing. Its state
-- is 10 rows per auction, unbounded in the number of auctions as in Flink.
--
-- Common deviations: see README.md in this directory.

SET 'trigger' = 'availableNow';

CREATE SOURCE bid (
    auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING,
    dateTime TIMESTAMP, extra STRING,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = '${EVENTS}',
        maxEventsPerTrigger = '${BATCH}');

CREATE SINK q19 WITH (connector = 'blackhole', 'output.mode' = 'update') AS
SELECT * FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rank_number
    FROM bid)
WHERE rank_number <= 10;
