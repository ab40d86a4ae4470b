-- Nexmark q15: bidding statistics report. Per day: bids, bidders and auctions
-- in three price ranks (Flink nexmark q15.sql).
-- Deviations: sluice has no FILTER (WHERE …) clause, so count(*) FILTER (WHERE c)
-- is sum(CASE WHEN c THEN 1 ELSE 0 END) and count(DISTINCT x) FILTER (WHERE c)
-- is count(DISTINCT CASE WHEN c THEN x END) (NULLs are not counted, so both
-- are exact); the day is CAST(dateTime AS DATE) rather than DATE_FORMAT's
-- 'yyyy-MM-dd' string.
--
-- Common deviations: see README.md in this directory.

SET 'trigger' = 'availableNow';

CREATE SOURCE bid (
    auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING,
    dateTime TIMESTAMP, extra STRING,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH (connector = 'nexmark', table = 'bid', events = '${EVENTS}',
        maxEventsPerTrigger = '${BATCH}');

CREATE SINK q15 WITH (connector = 'blackhole', 'output.mode' = 'update') AS
SELECT
    CAST(dateTime AS DATE) AS day,
    count(*) AS total_bids,
    sum(CASE WHEN price < 10000 THEN 1 ELSE 0 END) AS rank1_bids,
    sum(CASE WHEN price >= 10000 AND price < 1000000 THEN 1 ELSE 0 END) AS rank2_bids,
    sum(CASE WHEN price >= 1000000 THEN 1 ELSE 0 END) AS rank3_bids,
    count(DISTINCT bidder) AS total_bidders,
    count(DISTINCT CASE WHEN price < 10000 THEN bidder END) AS rank1_bidders,
    count(DISTINCT CASE WHEN price >= 10000 AND price < 1000000 THEN bidder END) AS rank2_bidders,
    count(DISTINCT CASE WHEN price >= 1000000 THEN bidder END) AS rank3_bidders,
    count(DISTINCT auction) AS total_auctions,
    count(DISTINCT CASE WHEN price < 10000 THEN auction END) AS rank1_auctions,
    count(DISTINCT CASE WHEN price >= 10000 AND price < 1000000 THEN auction END) AS rank2_auctions,
    count(DISTINCT CASE WHEN price >= 1000000 THEN auction END) AS rank3_auctions
FROM bid
GROUP BY CAST(dateTime AS DATE);
