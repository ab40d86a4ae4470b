-- Nexmark q2: selection. Bids on a set of auctions (Flink nexmark q2.sql).
-- Deviation: auction % 123 for Flink's MOD(auction, 123) (same result for the
-- non-negative ids the generator makes).
--
-- Common deviations: see README.md in this directory.

SET 'trigger' = 'availableNow';

CREATE SOURCE bid (
    auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING,
    dateTime TIMESTAMP, extra STRING,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = '${EVENTS}',
        maxEventsPerTrigger = '${BATCH}');

CREATE SINK q2 WITH (connector = 'blackhole') AS
SELECT auction, price FROM bid WHERE auction % 123 = 0;
