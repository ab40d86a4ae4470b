#!/usr/bin/env bash
# connector = 'blackhole' (the Nexmark benchmark's sink): it receives every
# row of the query and reports the total when asked ('print.total'). Over
# 123457 Nexmark events, the bids are counted here from the 1 : 3 : 46 mix
# (event i is a person when i % 50 == 0, an auction when 1 <= i % 50 <= 3),
# independently of the generator; the run must also end by itself
# (availableNow) and say that the sink got that many rows, in more than one
# batch.
set -u
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$ROOT/build}" "${SLUICE:=$BUILD/sluice}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
N=123457
cat > "$T/q.sql" <<SQL
SET 'trigger' = 'availableNow';
CREATE SOURCE bid (auction BIGINT, price BIGINT, dateTime TIMESTAMP,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND)
WITH (connector = 'nexmark', table = 'bid', events = '$N', maxEventsPerTrigger = '50000');
CREATE SINK all_bids WITH (connector = 'blackhole', 'print.total' = 'true') AS
SELECT auction, price, dateTime FROM bid;
SQL
if ! timeout 60 "$SLUICE" run "$T/q.sql" --quiet 2> "$T/err"; then
    grep -q "unknown connector 'blackhole'" "$T/err" && { echo "skipped: the blackhole sink is not registered"; exit 77; }
    echo "FAIL: sluice run failed:"; cat "$T/err"; exit 1
fi
full=$((N / 50)) rest=$((N % 50))
persons=$((full + (rest > 0 ? 1 : 0)))
auctions=$((full * 3 + (rest > 4 ? 3 : (rest > 1 ? rest - 1 : 0))))
want=$((N - persons - auctions))
line=$(grep '^blackhole all_bids:' "$T/err")
got=$(sed -n 's/^blackhole all_bids: \([0-9]*\) rows in \([0-9]*\) batches$/\1/p' <<<"$line")
batches=$(sed -n 's/^blackhole all_bids: \([0-9]*\) rows in \([0-9]*\) batches$/\2/p' <<<"$line")
[ "$got" = "$want" ] || { echo "FAIL: blackhole counted '${got:-nothing}' rows, want $want ($line)"; exit 1; }
[ "${batches:-0}" -ge 3 ] || { echo "FAIL: $batches batches for $N events at 50000 per trigger ($line)"; exit 1; }
echo "ok: $got rows in $batches batches"
