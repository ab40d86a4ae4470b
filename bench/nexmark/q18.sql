-- Nexmark q18: find last bid. The latest bid of each bidder on each auction
-- (Flink nexmark q18.sql, ROW_NUMBER() deduplication).
-- Deviation (checked against DuckDB by bench/nexmark/check.sh): Flink emits a
-- retracting changelog; sluice runs ROW_NUMBER() … <= 1 over any order as a
-- top-N operator in update mode (docs/SEMANTICS.md, "Window functions
-- (OVER)"): each batch emits, for every (bidder, auction) a bid changed, the
-- latest bid with rank_number 1, an upsert keyed by (bidder, auction). The
-- last row of each pair equals DuckDB's ROW_NUMBER() over all the bids
-- (compared on the pair and its time: two bids of a pair in the same
-- millisecond tie, and the earlier arrival keeps the rank). State: one row
-- per (bidder, auction) pair, unbounded as in Flink.
--
-- Common deviations: see README.md in this directory.

SET 'trigger' = 'availableNow';

CREATE SOURCE bid (
    auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING,
    dateTime TIMESTAMP, extra STRING,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = '${EVENTS}',
        maxEventsPerTrigger = '${BATCH}');

CREATE SINK q18 WITH (connector = 'blackhole', 'output.mode' = 'update') AS
SELECT auction, bidder, price, channel, url, dateTime, extra
FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder, auction ORDER BY dateTime DESC) AS rank_number
      FROM bid)
WHERE rank_number <= 1;
