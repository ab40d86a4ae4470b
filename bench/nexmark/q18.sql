-- Nexmark q18: find last bid. The latest bid of each bidder on each auction
-- (Flink nexmark q18.sql, ROW_NUMBER() deduplication).
-- NOT RUNNABLE YET: needs ROW_NUMBER() OVER (PARTITION BY … ORDER BY …), which
-- sluice's SQL does not have. Kept as the definition to implement against.
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
