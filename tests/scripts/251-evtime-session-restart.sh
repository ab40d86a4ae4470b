#!/usr/bin/env bash
# Session windows survive a restart: the same events (six files, one a
# micro-batch, with sessions that merge across batches, a late row, and a
# row bridging two sessions) give the same output in one run as in a run
# over the first three files followed by a restart from the checkpoint
# over the rest, and the restarted run restores the open sessions
# (otherwise a session spanning the restart would be split or lost).
set -eu
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$ROOT/build}" "${SLUICE:=$BUILD/sluice}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
mkdir -p "$T/all"
# The events of tests/scenario/evtime_session.scn, one file per batch record.
awk -v d="$T/all" '/^batch in\//{f = substr($2, 4); next} /^----/{f = ""} f && /^\{/{print > (d "/" f)}' \
    "$ROOT/tests/scenario/evtime_session.scn"
[ "$(ls "$T/all" | wc -l)" = 6 ] || { echo "FAIL: expected 6 input files"; exit 1; }

query() { # $1: input dir, $2: output dir, $3: checkpoint dir
    cat <<SQL
SET 'trigger' = 'availableNow';
CREATE SOURCE ev (u STRING, ts TIMESTAMP, amount INT, WATERMARK FOR ts AS ts - INTERVAL '30' SECOND)
WITH (connector = 'file', path = '$1', format = 'json', maxFilesPerTrigger = '1');
CREATE SINK out WITH (connector = 'file', path = '$2', format = 'json', 'output.mode' = 'append',
                      checkpointLocation = '$3') AS
SELECT u, window_start, window_end, count(*) AS n, sum(amount) AS total, max(amount) AS mx
FROM ev GROUP BY session_window(ts, '10 seconds'), u;
SQL
}
query "$T/all" "$T/one" "$T/ck1" > "$T/one.sql"
"$SLUICE" run "$T/one.sql" --quiet
mkdir -p "$T/part"
cp "$T"/all/00[123].json "$T/part/"
query "$T/part" "$T/two" "$T/ck2" > "$T/two.sql"
"$SLUICE" run "$T/two.sql" --quiet
cp "$T"/all/00[456].json "$T/part/"
"$SLUICE" run "$T/two.sql" --quiet

one=$(cat "$T"/one/part-*.json | sort)
two=$(cat "$T"/two/part-*.json | sort)
[ "$(echo "$one" | grep -c '"u":"a"')" = 2 ] || { echo "FAIL: the uninterrupted run is not as expected:"; echo "$one"; exit 1; }
# a's merged session [00:30, 01:00) spans the restart (opened in batches 1-3, closed in 4).
echo "$two" | grep -q '"u":"a","window_start":"2024-01-01T00:00:30.000Z","window_end":"2024-01-01T00:01:00.000Z","n":3,"total":22,"mx":10' ||
    { echo "FAIL: the session open across the restart was not restored:"; echo "$two"; exit 1; }
[ "$one" = "$two" ] || { echo "FAIL: output differs after a restart"; diff <(echo "$one") <(echo "$two"); exit 1; }
echo "ok: session windows give the same $(echo "$one" | wc -l) rows with a restart in the middle"
