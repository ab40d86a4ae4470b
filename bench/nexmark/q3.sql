-- Nexmark q3: local item suggestion. Sellers in Oregon, Idaho or California
-- of auctions in category 10, an unwindowed stream-stream join (Flink
-- nexmark q3.sql).
-- Deviation: sluice's stream-stream inner join keeps state by watermark; Flink's
-- regular join keeps both sides forever. Results are equal on bounded input.
--
-- Common deviations: see README.md in this directory.

SET 'trigger' = 'availableNow';

CREATE SOURCE auction (
    id BIGINT, itemName STRING, description STRING, initialBid BIGINT, reserve BIGINT,
    dateTime TIMESTAMP, expires TIMESTAMP, seller BIGINT, category BIGINT, extra STRING,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'auction', events = '${EVENTS}',
        maxEventsPerTrigger = '${BATCH}');

CREATE SOURCE person (
    id BIGINT, name STRING, emailAddress STRING, creditCard STRING, city STRING, state STRING,
    dateTime TIMESTAMP, extra STRING,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'person', events = '${EVENTS}',
        maxEventsPerTrigger = '${BATCH}');

CREATE SINK q3 WITH (connector = 'blackhole') AS
SELECT P.name, P.city, P.state, A.id
FROM auction AS A INNER JOIN person AS P ON A.seller = P.id
WHERE A.category = 10 AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA');
