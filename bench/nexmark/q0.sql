-- Nexmark q0: pass-through. Measures the monitoring overhead: reads every bid
-- and writes it out unchanged (Flink nexmark q0.sql).
--
-- Common deviations: see README.md in this directory.

SET 'trigger' = 'availableNow';

CREATE SOURCE bid (
    auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING,
    dateTime TIMESTAMP, extra STRING,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = '${EVENTS}',
        maxEventsPerTrigger = '${BATCH}');

CREATE SINK q0 WITH (connector = 'blackhole') AS
SELECT auction, bidder, price, dateTime, extra FROM bid;
