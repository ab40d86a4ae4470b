-- Nexmark q7: highest bid. The bids with the highest price in each 10-second
-- tumbling window (Flink nexmark q7.sql).
-- Deviation: window(dateTime, '10 seconds') with window_end for Flink's TUMBLE
-- TVF; the join is an interval join on event time. Flink's WHERE range is
-- written in the ON clause (the same for an inner join): sluice takes the
-- range that evicts join state only from ON, and with it in WHERE every bid
-- stays in the join's state (2.1 GB at 10M events instead of a few 100 MB).
--
-- Common deviations: see README.md in this directory.

SET 'trigger' = 'availableNow';

CREATE SOURCE bid (
    auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING,
    dateTime TIMESTAMP, extra STRING,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = '${EVENTS}',
        maxEventsPerTrigger = '${BATCH}');

CREATE VIEW q7_max AS
SELECT MAX(price) AS maxprice, window_end AS dateTime
FROM bid
GROUP BY window(dateTime, '10 seconds');

CREATE SINK q7 WITH (connector = 'blackhole') AS
SELECT B.auction, B.price, B.bidder, B.dateTime, B.extra
FROM bid B
JOIN q7_max B1 ON B.price = B1.maxprice
  AND B.dateTime BETWEEN B1.dateTime - INTERVAL '10' SECOND AND B1.dateTime;
