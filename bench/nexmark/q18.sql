-- Nexmark q18: find last bid. The latest bid of each bidder on each auction
-- (Flink nexmark q18.sql, ROW_NUMBER() deduplication).
-- NOT RUNNABLE YET: sluice parses ROW_NUMBER() OVER (…) now, but its OVER on a
-- stream emits each row once, in ascending event-time order, when the
-- watermark passes it (docs/SEMANTICS.md, "Window functions (OVER)"), and
-- refuses this ORDER BY: the latest bid of each (bidder, auction) changes as bids
-- arrive, which needs an update-mode top-N operator (or retractions, as
-- Flink emits). Kept as the definition to implement against.
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
-- (the syntax is parsed and bound already, src/plan/binder.c bind_over;
-- the operator is what is missing).
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
