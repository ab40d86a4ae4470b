-- Nexmark q12: processing-time windows. Bids per bidder in each 10-second
-- window of processing time (Flink nexmark q12.sql, TUMBLE over PROCTIME()).
-- Deviation: current_timestamp() stands for Flink's PROCTIME() attribute, so the
-- windows are those of the micro-batch clock; results depend on timing and are
-- not compared with DuckDB.
--
-- Common deviations: see README.md in this directory.

SET 'trigger' = 'availableNow';

CREATE SOURCE bid (
    auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING,
    dateTime TIMESTAMP, extra STRING,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = '${EVENTS}',
        maxEventsPerTrigger = '${BATCH}');

CREATE VIEW q12_bids AS
SELECT bidder, current_timestamp() AS p_time FROM bid;

CREATE SINK q12 WITH (connector = 'blackhole', 'output.mode' = 'update') AS
SELECT bidder, count(*) AS bid_count, window_start, window_end
FROM q12_bids
GROUP BY bidder, window(p_time, '10 seconds');
