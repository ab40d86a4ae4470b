-- Nexmark q4: average price for a category. The winning (highest) bid of
-- each auction within its lifetime, averaged per category (Flink nexmark
-- q4.sql).
-- Deviation: an aggregate over an aggregate of a join; the output mode is
-- update (Flink emits a retracting changelog).
-- NOT RUNNABLE YET: the outer AVG consumes the inner MAX's updates, which needs
-- chained aggregation in update mode with retractions (sluice, like Spark,
-- chains aggregations only in append mode, and the inner aggregate has no
-- event-time key to close in append mode). Its join also needs both sides
-- bounded by event time for a stateful operator to follow it: A.expires is
-- not an event-time column (a redundant bound B.dateTime <= A.dateTime +
-- INTERVAL '1' SECOND would do: the generator's auctions last at most
-- 2 * 100 * 50 / 3 events, 0.33 s at 10,000 events/s).
--
-- Common deviations: see README.md in this directory.

SET 'trigger' = 'availableNow';

CREATE SOURCE auction (
    id BIGINT, itemName STRING, description STRING, initialBid BIGINT, reserve BIGINT,
    dateTime TIMESTAMP, expires TIMESTAMP, seller BIGINT, category BIGINT, extra STRING,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'auction', events = '${EVENTS}',
        maxEventsPerTrigger = '${BATCH}');

CREATE SOURCE bid (
    auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING,
    dateTime TIMESTAMP, extra STRING,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = '${EVENTS}',
        maxEventsPerTrigger = '${BATCH}');

CREATE VIEW q4_winning AS
SELECT MAX(B.price) AS final, A.category
FROM auction A JOIN bid B ON A.id = B.auction
WHERE B.dateTime BETWEEN A.dateTime AND A.expires
GROUP BY A.id, A.category;

CREATE SINK q4 WITH (connector = 'blackhole', 'output.mode' = 'update') AS
SELECT category, AVG(final) AS avg_final FROM q4_winning GROUP BY category;
