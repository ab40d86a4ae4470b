# An independent model of sluice's (and Spark's) streaming session windows
# in append mode, for the script tests 651 and 652 (imported by them, never
# run alone: not a *.sh, so tests/run.sh passes it over).
#
#   python3 session_model.py IN_DIR GAP_S DELAY_S ROWS_FILE
#
# IN_DIR holds one JSON file per micro-batch (read in name order) with rows
# {"k", "v", "ts": "YYYY-MM-DD HH:MM:SS"}.  Per batch: a row is late when
# ts + gap <= the watermark the batch runs with (dropped); else it opens
# [ts, ts + gap], merging every session of its key that touches it (start
# <= ts + gap and end >= ts); then every session whose end <= that
# watermark is emitted and dropped; then the watermark becomes max event
# time - delay if that is ahead.  After the last file one no-data batch runs
# with the final watermark.  ROWS_FILE holds sluice's output rows (JSON:
# k, window_start, window_end, n, total, lo, hi); exits 1 naming the
# differences when they are not exactly the model's.
import calendar, json, os, sys, time

def secs(s):
    return calendar.timegm(time.strptime(s[:19].replace("T", " "), "%Y-%m-%d %H:%M:%S"))

def model(d, gap, delay):
    wm, maxts, state, out = None, None, {}, []
    files = sorted(os.listdir(d))
    for f in files + [None]:
        rows = [json.loads(l) for l in open(os.path.join(d, f))] if f else []
        for r in rows:
            t = secs(r["ts"])
            if wm is not None and t + gap <= wm:
                continue
            lo, hi, vals = t, t + gap, [r["v"]]
            keep = []
            for s in state.get(r["k"], []):
                if s[0] <= hi and s[1] >= lo:
                    lo, hi, vals = min(lo, s[0]), max(hi, s[1]), vals + s[2]
                else:
                    keep.append(s)
            keep.append((lo, hi, vals))
            state[r["k"]] = keep
        for k in list(state):
            still = []
            for s in state[k]:
                if wm is not None and s[1] <= wm:
                    out.append((k, s[0], s[1], len(s[2]), sum(s[2]), min(s[2]), max(s[2])))
                else:
                    still.append(s)
            state[k] = still
        for r in rows:
            t = secs(r["ts"])
            maxts = t if maxts is None else max(maxts, t)
        if maxts is not None and (wm is None or maxts - delay > wm):
            wm = maxts - delay
    return sorted(out)

if __name__ == "__main__":
    d, gap, delay, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    want = model(d, gap, delay)
    got = sorted((r["k"], secs(r["window_start"]), secs(r["window_end"]), r["n"], r["total"], r["lo"], r["hi"])
                 for r in map(json.loads, open(rows)))
    if got != want:
        print("model: %d sessions; sluice: %d" % (len(want), len(got)))
        ws, gs = set(want), set(got)
        for w in [w for w in want if w not in gs][:10]: print("  missing", w)
        for g in [g for g in got if g not in ws][:10]: print("  extra", g)
        sys.exit(1)
    print("%d sessions equal the model's" % len(got))
