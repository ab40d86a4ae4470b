-- Nexmark q19: auction TOP-10 price. The ten highest bids of each auction
-- (Flink nexmark q19.sql, ROW_NUMBER() Top-N).
-- Deviation (checked against DuckDB by bench/nexmark/check.sh): Flink emits a
-- retracting changelog; sluice runs ROW_NUMBER() … <= 10 as a top-N operator
-- in update mode (docs/SEMANTICS.md, "Window functions (OVER)"): each batch
-- emits, for every auction a bid changed, each rank from the first one that
-- changed with the bid now holding it — upserts keyed by (auction,
-- rank_number). The last row of each (auction, rank) equals DuckDB's
-- ROW_NUMBER() over all the bids (compared on auction, rank and price: equal
-- prices tie, and the earlier arrival ranks first). State: 10 rows per
-- auction, unbounded in the number of auctions as in Flink.
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
