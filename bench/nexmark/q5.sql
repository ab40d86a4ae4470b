-- Nexmark q5: hot items. The auctions with the most bids in each 10-second
-- window sliding every 2 seconds (Flink nexmark q5.sql, HOP windows).
-- Deviations: Spark-style window(ts, size, slide) in GROUP BY, whose bounds are
-- the columns window_start and window_end; the join of two windowed
-- aggregates runs on closed windows (append mode).
-- Rewrite (same result, checked against DuckDB by bench/nexmark/check.sh):
-- Flink's MaxBids groups by (starttime, endtime). In append mode sluice's
-- aggregation emits only groups keyed by a window(...), not by plain
-- timestamp columns (grouping by starttime, endtime yields no rows), so
-- MaxBids groups by window(endtime, '1 microsecond'): timestamps are whole
-- microseconds, so each such window holds exactly one endtime (its
-- window_start) and closes as soon as the watermark passes that endtime,
-- in the batch that emits the window's counts; starttime = endtime - 10 s
-- adds nothing to the key, so the join is on endtime alone. (A 2-second
-- window would also group correctly but closes 2 s of event time later, so
-- the last windows of a bounded run would never be joined.)
--
-- Common deviations: see README.md in this directory.

SET 'trigger' = 'availableNow';

CREATE SOURCE bid (
    auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING,
    dateTime TIMESTAMP, extra STRING,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = '${EVENTS}',
        maxEventsPerTrigger = '${BATCH}');

CREATE VIEW q5_auction_bids AS
SELECT auction, count(*) AS num, window_start AS starttime, window_end AS endtime
FROM bid
GROUP BY auction, window(dateTime, '10 seconds', '2 seconds');

CREATE VIEW q5_max_bids AS
SELECT max(num) AS maxn, window_start AS endtime
FROM q5_auction_bids
GROUP BY window(endtime, '1 microsecond');

CREATE SINK q5 WITH (connector = 'blackhole') AS
SELECT AB.auction, AB.num
FROM q5_auction_bids AB
JOIN q5_max_bids MB
  ON AB.endtime = MB.endtime AND AB.num >= MB.maxn;
