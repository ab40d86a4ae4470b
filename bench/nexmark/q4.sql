-- Nexmark q4: average price for a category. The winning (highest) bid of
-- each auction within its lifetime, averaged per category (Flink nexmark
-- q4.sql).
-- Deviation: an aggregate over an aggregate of a join; the output mode is
-- update (Flink emits a retracting changelog).
--
-- Common deviations: see README.md in this directory.

CREATE SOURCE auction (
    id BIGINT, itemName STRING, description STRING, initialBid BIGINT, reserve BIGINT,
    dateTime TIMESTAMP, expires TIMESTAMP, seller BIGINT, category BIGINT, extra STRING,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'auction', events = '${EVENTS}');

CREATE SOURCE bid (
    auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING,
    dateTime TIMESTAMP, extra STRING,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = '${EVENTS}');

CREATE VIEW q4_winning AS
SELECT MAX(B.price) AS final, A.category
FROM auction A JOIN bid B ON A.id = B.auction
WHERE B.dateTime BETWEEN A.dateTime AND A.expires
GROUP BY A.id, A.category;

CREATE SINK q4 WITH (connector = 'blackhole', 'output.mode' = 'update') AS
SELECT category, AVG(final) AS avg_final FROM q4_winning GROUP BY category;
