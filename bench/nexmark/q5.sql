-- Nexmark q5: hot items. The auctions with the most bids in each 10-second
-- window sliding every 2 seconds (Flink nexmark q5.sql, HOP windows).
-- Deviations: Spark-style window(ts, size, slide) in GROUP BY, whose bounds are
-- the columns window_start and window_end; the join of two windowed
-- aggregates runs on closed windows (append mode).
--
-- Common deviations: see README.md in this directory.

CREATE SOURCE bid (
    auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING,
    dateTime TIMESTAMP, extra STRING,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = '${EVENTS}');

CREATE VIEW q5_auction_bids AS
SELECT auction, count(*) AS num, window_start AS starttime, window_end AS endtime
FROM bid
GROUP BY auction, window(dateTime, '10 seconds', '2 seconds');

CREATE VIEW q5_max_bids AS
SELECT max(num) AS maxn, starttime, endtime
FROM q5_auction_bids
GROUP BY starttime, endtime;

CREATE SINK q5 WITH (connector = 'blackhole') AS
SELECT AB.auction, AB.num
FROM q5_auction_bids AB
JOIN q5_max_bids MB
  ON AB.starttime = MB.starttime AND AB.endtime = MB.endtime AND AB.num >= MB.maxn;
