#!/usr/bin/env bash
# Event-time windows against DuckDB: random out-of-order events in 40 files,
# read one file per batch (maxFilesPerTrigger = 1) with a 30 s watermark,
# aggregated in append mode by tumbling (1 min), sliding (1 min every 20 s)
# and session (15 s gap) windows.  DuckDB recomputes everything from the
# input files alone: the watermark each file's batch ran with (max event
# time of the earlier files − 30 s), which (row, window) pairs were late
# (window end <= that watermark; for a session, ts + gap), and the GROUP BY
# of the rest, keeping the windows the final watermark closed.  Every
# window sluice emitted must be one of those, with the same aggregates, and
# none may be missing.  The tumbling query also has a 'late.sink': its rows
# must be exactly the rows DuckDB finds late, and their number what the
# progress reported as dropped.
#
# Rows: "on" rows lag the event-time front by at most 20 s (never late);
# "mid" rows lag by 30-90 s (late for some or all of their windows); "old"
# rows lag by 15-20 min (always late once there is a watermark).  The
# session query reads on and old rows only: a mid row could touch a session
# the watermark already closed, and Spark (so sluice) then starts a new
# session where a batch engine merges — a documented difference, not a
# comparison DuckDB can make.
set -eu
. "$(dirname "$0")/lib.sh"
need_duckdb
mkdir -p "$T/in"

/usr/bin/python3 - "$T/in" <<'PY'
import json, random, sys, datetime
random.seed(11)
base = datetime.datetime(2024, 1, 1)
n = 0
for f in range(40):
    with open(f"{sys.argv[1]}/{f:03d}.json", "w") as out:
        for _ in range(150):
            front = base + datetime.timedelta(seconds=n)
            r = random.random()
            if r < 0.08 and f >= 2:
                kind, ts = "old", front - datetime.timedelta(seconds=random.randint(900, 1200))
            elif r < 0.2:
                kind, ts = "mid", front - datetime.timedelta(seconds=random.randint(30, 90))
            else:
                kind, ts = "on", front - datetime.timedelta(seconds=random.randint(0, 20))
            out.write(json.dumps({"k": f"k{random.randint(0, 11)}", "n": n, "v": random.randint(-50, 1000),
                                  "kind": kind, "ts": ts.strftime("%Y-%m-%d %H:%M:%S")}) + "\n")
            n += 1
PY

cat > "$T/q.sql" <<SQL
SET 'trigger' = 'availableNow';
CREATE SOURCE ev (k STRING, n BIGINT, v INT, kind STRING, ts TIMESTAMP,
                  WATERMARK FOR ts AS ts - INTERVAL '30' SECOND)
WITH (connector = 'file', path = '$T/in', format = 'json', maxFilesPerTrigger = '1');
CREATE SINK tumbling WITH (connector = 'file', path = '$T/tumbling', format = 'csv',
                           'output.mode' = 'append', 'late.sink' = '$T/late') AS
SELECT k, window_start, window_end, count(*) AS c, sum(v) AS s, min(v) AS lo, max(v) AS hi
FROM ev GROUP BY window(ts, '1 minute'), k;
CREATE SINK sliding WITH (connector = 'file', path = '$T/sliding', format = 'csv', 'output.mode' = 'append') AS
SELECT k, window_start, window_end, count(*) AS c, sum(v) AS s, min(v) AS lo, max(v) AS hi
FROM ev GROUP BY window(ts, '1 minute', '20 seconds'), k;
CREATE SINK sessions WITH (connector = 'file', path = '$T/sessions', format = 'csv', 'output.mode' = 'append') AS
SELECT k, window_start, window_end, count(*) AS c, sum(v) AS s, min(v) AS lo, max(v) AS hi
FROM ev WHERE kind <> 'mid' GROUP BY session_window(ts, '15 seconds'), k;
SQL
"$SLUICE" run "$T/q.sql" 2> "$T/log" || { echo "FAIL: sluice run failed"; cat "$T/log"; exit 1; }
dropped=$(grep '^sluice: tumbling batch' "$T/log" | sed -n 's/.*, \([0-9]*\) late rows dropped.*/\1/p' | awk '{s += $1} END {print s + 0}')

# Events with the watermark their batch ran with (NULL before any data).
events="CREATE TABLE ev AS SELECT k, n, v, kind, CAST(ts AS TIMESTAMP) AS ts, epoch_us(CAST(ts AS TIMESTAMP)) AS us, filename AS f
  FROM read_json_auto('$T/in/*.json', filename = true);
CREATE TABLE fwm AS SELECT f, max(max(us)) OVER (ORDER BY f ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) - 30000000 AS wm
  FROM ev GROUP BY f;
CREATE TABLE evw AS SELECT ev.*, fwm.wm FROM ev JOIN fwm USING (f);
CREATE TABLE fin AS SELECT max(us) - 30000000 AS wm FROM ev"
# Pairs (row, window start) for windows of $1 µs sliding by $2 µs.
pairs() { echo "CREATE TABLE pairs AS SELECT k, n, v, ws, ws + $1 AS we, wm FROM (
  SELECT *, us - (((us % $2) + $2) % $2) - j * $2 AS ws FROM evw, range(0, $1 // $2) t(j)) WHERE ws + $1 > us"; }
got() { echo "CREATE VIEW got AS SELECT k, CAST(window_start AS TIMESTAMP) AS ws, CAST(window_end AS TIMESTAMP) AS we,
  CAST(c AS BIGINT) AS c, CAST(s AS BIGINT) AS s, CAST(lo AS INT) AS lo, CAST(hi AS INT) AS hi
  FROM read_csv('$T/$1/part-*.csv', header = true, all_varchar = true)"; }
compare="CREATE VIEW wantt AS SELECT k, make_timestamp(ws) AS ws, make_timestamp(we) AS we, c, s, lo, hi FROM want;
SELECT (SELECT count(*) FROM wantt), (SELECT count(*) FROM (SELECT * FROM wantt EXCEPT ALL SELECT * FROM got)),
       (SELECT count(*) FROM (SELECT * FROM got EXCEPT ALL SELECT * FROM wantt))"
windows_want="CREATE VIEW want AS SELECT k, ws, we, count(*) AS c, sum(v) AS s, min(v) AS lo, max(v) AS hi FROM pairs
  WHERE wm IS NULL OR we > wm GROUP BY k, ws, we HAVING we <= (SELECT wm FROM fin)"

check() { # $1: name, $2: minimum expected windows, $3: compare output
    read -r nwin missing extra <<< "$3"
    [ "$nwin" -ge "$2" ] && [ "$missing" = 0 ] && [ "$extra" = 0 ] ||
        { echo "FAIL: $1: DuckDB has ${nwin:-?} closed windows; sluice misses ${missing:-?} and adds ${extra:-?}"; exit 1; }
}
check tumbling 400 "$(node "$ORACLE" "$events; $(pairs 60000000 60000000); $windows_want; $(got tumbling); $compare")"
check sliding 1200 "$(node "$ORACLE" "$events; $(pairs 60000000 20000000); $windows_want; $(got sliding); $compare")"

# Sessions: gaps and islands over the rows that were not late, a new
# session when a row starts after every earlier row's ts + gap.
sessions_want="CREATE TABLE kept AS SELECT * FROM evw WHERE kind <> 'mid' AND (wm IS NULL OR us + 15000000 > wm);
CREATE TABLE isl AS SELECT *, sum(CASE WHEN prev IS NULL OR us > prev + 15000000 THEN 1 ELSE 0 END)
  OVER (PARTITION BY k ORDER BY us, n) AS sid FROM (SELECT *, lag(us) OVER (PARTITION BY k ORDER BY us, n) AS prev FROM kept);
CREATE VIEW want AS SELECT k, min(us) AS ws, max(us) + 15000000 AS we, count(*) AS c, sum(v) AS s, min(v) AS lo, max(v) AS hi
  FROM isl GROUP BY k, sid HAVING max(us) + 15000000 <= (SELECT wm FROM fin)"
check sessions 100 "$(node "$ORACLE" "$events; $sessions_want; $(got sessions); $compare")"

# 'late.sink': exactly the rows whose only tumbling window had closed.
read -r nlate missing extra <<< "$(node "$ORACLE" "$events; $(pairs 60000000 60000000);
CREATE VIEW want AS SELECT n FROM pairs WHERE wm IS NOT NULL AND we <= wm;
CREATE VIEW got AS SELECT CAST(n AS BIGINT) AS n FROM read_json_auto('$T/late/part-*.json');
SELECT (SELECT count(*) FROM want), (SELECT count(*) FROM (SELECT * FROM want EXCEPT ALL SELECT * FROM got)),
       (SELECT count(*) FROM (SELECT * FROM got EXCEPT ALL SELECT * FROM want))")"
[ "$nlate" -ge 300 ] && [ "$missing" = 0 ] && [ "$extra" = 0 ] && [ "$dropped" = "$nlate" ] ||
    { echo "FAIL: late.sink: DuckDB finds ${nlate:-?} late rows; the late sink misses ${missing:-?} and adds ${extra:-?};" \
           "the progress counted $dropped dropped"; exit 1; }
echo "ok: tumbling, sliding and session windows equal DuckDB's over the rows that were not late;" \
     "the late sink holds exactly the $nlate late rows"
