-- Nexmark q18: find last bid. The latest bid of each bidder on each auction
-- (Flink nexmark q18.sql, ROW_NUMBER() deduplication).
-- NOT RUNNABLE YET: needs ROW_NUMBER() OVER (PARTITION BY … ORDER BY …), which
-- sluice's SQL does not have. Kept as the definition to implement against.
--
-- What would run it: ROW_NUMBER() … ORDER BY dateTime DESC … <= 1 keeps the
-- latest bid per (bidder, auction). In update mode that is the same as
-- GROUP BY bidder, auction with an arg-max aggregate per other column
-- (Spark's max_by(price, dateTime), …), which sluice does not have yet
-- (src/exec/agg/registry.c: count, sum, avg, min, max,
-- approx_count_distinct); with it q18 runs as that rewrite (state: one row
-- per (bidder, auction) pair, unbounded as in Flink) and DuckDB's check is
-- the last row per key. Alternatively the planner recognises
-- ROW_NUMBER() <= N over a partition as a deduplicating / top-N operator
-- (parser: window-function syntax in src/sql; binder; operator).
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
