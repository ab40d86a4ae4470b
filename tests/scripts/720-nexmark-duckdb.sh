#!/usr/bin/env bash
# Nexmark results against DuckDB: q3 (join), q4 (join → per-auction MAX
# closed at the auction's expiry → AVG per category in update mode), q6
# (the same per-auction MAX → AVG OVER each seller's last 11 auctions), q5 (sliding-window aggregate →
# aggregate → join), q7 (tumbling-window aggregate joined back to the bids),
# q8 (window join), q15 (count DISTINCT per day, update mode), q18 and q19
# (ROW_NUMBER() top-1 and top-10 in update mode) run by
# `sluice run` over 600k generated events (60 s of event time, so several
# windows of each kind close) equal DuckDB's batch evaluation of Flink's
# definitions over the same events written by `sluice gen nexmark`, on the
# windows the final watermark closed. bench/nexmark/check.sh does the work;
# make bench-nexmark runs the same check at full size.
set -u
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$ROOT/build}" "${SLUICE:=$BUILD/sluice}"
export ROOT SLUICE
"$SLUICE" gen nexmark --help >/dev/null 2>&1 || { echo "skipped: 'sluice gen nexmark' is not available"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
"$ROOT/bench/nexmark/check.sh" 600000 "$T"
