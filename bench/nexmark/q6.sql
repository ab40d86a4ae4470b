-- Nexmark q6: average selling price by seller, over each seller's last 10
-- closed auctions (Flink nexmark q6.sql).
-- NOT RUNNABLE YET: needs OVER (PARTITION BY … ORDER BY … ROWS 10 PRECEDING),
-- which sluice's SQL does not have; Flink cannot run it either (it lists q6 as
-- unsupported). Kept as the definition to implement against.
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

CREATE VIEW q6_closed AS
SELECT MAX(B.price) AS final, A.seller, B.dateTime
FROM auction AS A JOIN bid AS B ON A.id = B.auction
WHERE B.dateTime BETWEEN A.dateTime AND A.expires
GROUP BY A.id, A.seller, B.dateTime;

CREATE SINK q6 WITH (connector = 'blackhole', 'output.mode' = 'update') AS
SELECT seller,
       AVG(final) OVER (PARTITION BY seller ORDER BY dateTime
                        ROWS BETWEEN 10 PRECEDING AND CURRENT ROW) AS avg_price
FROM q6_closed;
