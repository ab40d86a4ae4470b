-- Nexmark q1: currency conversion. Bid prices from dollars to euros
-- (Flink nexmark q1.sql).
-- Deviation: 0.908 * price is DOUBLE here; Flink's is DECIMAL(23, 3) (sluice has no DECIMAL).
--
-- Common deviations: see README.md in this directory.

SET 'trigger' = 'availableNow';

CREATE SOURCE bid (
    auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING,
    dateTime TIMESTAMP, extra STRING,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = '${EVENTS}',
        maxEventsPerTrigger = '${BATCH}');

CREATE SINK q1 WITH (connector = 'blackhole') AS
SELECT auction, bidder, 0.908 * price AS price, dateTime, extra FROM bid;
