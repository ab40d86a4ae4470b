-- Nexmark q8: monitor new users. People who opened an auction in the same
-- 10-second window in which they registered (Flink nexmark q8.sql).
-- Deviation: window(ts, '10 seconds') with window_start/window_end for Flink's
-- TUMBLE TVF; a windowed join on closed windows.
--
-- Common deviations: see README.md in this directory.

SET 'trigger' = 'availableNow';

CREATE SOURCE person (
    id BIGINT, name STRING, emailAddress STRING, creditCard STRING, city STRING, state STRING,
    dateTime TIMESTAMP, extra STRING,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'person', events = '${EVENTS}',
        maxEventsPerTrigger = '${BATCH}');

CREATE SOURCE auction (
    id BIGINT, itemName STRING, description STRING, initialBid BIGINT, reserve BIGINT,
    dateTime TIMESTAMP, expires TIMESTAMP, seller BIGINT, category BIGINT, extra STRING,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'auction', events = '${EVENTS}',
        maxEventsPerTrigger = '${BATCH}');

CREATE VIEW q8_people AS
SELECT id, name, window_start AS starttime, window_end AS endtime
FROM person
GROUP BY id, name, window(dateTime, '10 seconds');

CREATE VIEW q8_sellers AS
SELECT seller, window_start AS starttime, window_end AS endtime
FROM auction
GROUP BY seller, window(dateTime, '10 seconds');

CREATE SINK q8 WITH (connector = 'blackhole') AS
SELECT P.id, P.name, P.starttime
FROM q8_people P
JOIN q8_sellers A
  ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime;
