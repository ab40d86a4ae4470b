#!/usr/bin/env bash
# The Kafka exactly-once path under checkpoint faults (issue 6): Kafka ->
# Kafka with 'kafka.transactional' = 'true' and the checkpoint on a small
# tmpfs.  (1) The disk fills at different points: the run stops with exit 1
# naming the file and ENOSPC; with room again the restart finishes and the
# output topic, read with isolation.level=read_committed, holds every input
# id exactly once.  (2) A corrupt offsets file and a truncated commit file
# are refused naming them, publish nothing, and once restored the run picks
# up new input, still exactly once.  Without permission to mount, (1) is
# skipped (the checkpoint's files are too small for ulimit -f to stand in).
set -eu
. "$(dirname "$0")/200-kafka-lib.sh"
MNT="$T/mnt"
mkdir "$MNT"
trap 'rc=$?; mountpoint -q "$MNT" && umount "$MNT"; kafka_cleanup $rc' EXIT
trap 'exit 143' TERM INT   # so that the EXIT trap unmounts the tmpfs
can_mount=0
if mount -t tmpfs -o size=64k tmpfs "$MNT" 2>/dev/null; then can_mount=1; umount "$MNT"; fi
fail() { echo "FAIL: $*"; exit 1; }

start_broker "tin:2,tout1:1,tout2:1,tout3:1"
ids() { $PY -c 'import json, sys
for i in range(int(sys.argv[1]), int(sys.argv[2])): print(json.dumps({"id": i}))' "$@"; }
ids 0 400 > "$T/in.jsonl"
kcat -P -b "$BS" -t tin -l "$T/in.jsonl"

q() { # $1 output topic, $2 checkpoint directory
    cat > "$T/q.sql" <<SQL
CREATE SOURCE tin (id INT) WITH (connector = 'kafka', 'bootstrap.servers' = '$BS', subscribe = 'tin',
    startingOffsets = 'earliest', maxOffsetsPerTrigger = '30', format = 'json');
CREATE SINK tout WITH (connector = 'kafka', 'bootstrap.servers' = '$BS', topic = '$1',
    'kafka.transactional' = 'true', checkpointLocation = '$2', trigger = 'availableNow') AS
SELECT id FROM tin;
SQL
}
run() { rc=0; "$SK" run "$T/q.sql" > "$T/log" 2>&1 || rc=$?; cat "$T/log" >> "$T/all.log"; }
exactly() { # $1 topic, $2 number of ids
    kcat -C -b "$BS" -t "$1" -e -q -X isolation.level=read_committed -f '%s\n' > "$T/out.txt"
    $PY - "$T/out.txt" "$2" <<'PY' || fail "topic $1 is not exactly ids 0..$(($2 - 1))"
import json, sys, collections
ids = collections.Counter(json.loads(l)["id"] for l in open(sys.argv[1]) if l.strip())
dups = sorted(i for i, c in ids.items() if c > 1)
missing = sorted(set(range(int(sys.argv[2]))) - set(ids))
extra = sorted(set(ids) - set(range(int(sys.argv[2]))))
assert not dups and not missing and not extra, "duplicated %s, missing %s, extra %s" % (dups[:10], missing[:10], extra[:10])
PY
}

# 1. a full checkpoint disk at three points of the run (needs a tmpfs: the
#    checkpoint's files are too small for a file-size limit to stand in)
fulls=0
if [ $can_mount = 1 ]; then
    k=0
    for size in 16 40 72; do
        k=$((k + 1))
        mount -t tmpfs -o size=${size}k tmpfs "$MNT"
        q tout$k "$MNT/ck"
        run
        if [ $rc -ne 0 ]; then
            [ $rc -eq 1 ] || { cat "$T/log"; fail "size ${size}k: exit $rc, expected 1"; }
            grep -Eq "cannot (write|create|open|sync|rename) [^:]*: No space left on device" "$T/log" ||
                { cat "$T/log"; fail "size ${size}k: the error does not name the file and the cause"; }
            fulls=$((fulls + 1))
        fi
        mount -o remount,size=16m "$MNT"
        run
        [ $rc -eq 0 ] || { cat "$T/log"; fail "size ${size}k: the restart with room failed"; }
        exactly tout$k 400
        [ $k -lt 3 ] && umount "$MNT"
    done
    [ $fulls -ge 2 ] || fail "only $fulls runs hit the limit"
    ck="$MNT/ck"
else
    ck="$T/ck"
    q tout3 "$ck"
    run
    [ $rc -eq 0 ] || { cat "$T/log"; fail "first run"; }
    exactly tout3 400
fi

# 2. corrupt / truncated checkpoint files: refused, nothing published
ids 400 500 > "$T/in2.jsonl"
kcat -P -b "$BS" -t tin -l "$T/in2.jsonl"
last=$(ls "$ck/commits" | sort -n | tail -1)
for f in "offsets/$last" "commits/$last"; do
    cp "$ck/$f" "$T/saved"
    if [ "${f%%/*}" = offsets ]; then
        printf 'X' | dd of="$ck/$f" bs=1 seek=30 conv=notrunc 2>/dev/null
        want="checkpoint file $ck/$f is corrupt"
    else
        head -c 20 "$T/saved" > "$ck/$f"
        want="checkpoint file $ck/$f is truncated"
    fi
    run
    [ $rc -ne 0 ] && [ $rc -le 2 ] || { cat "$T/log"; fail "damaged $f: exit $rc"; }
    grep -q "$want" "$T/log" || { cat "$T/log"; fail "damaged $f: no message naming it"; }
    exactly tout3 400
    cp "$T/saved" "$ck/$f"
done
run
[ $rc -eq 0 ] || { cat "$T/log"; fail "the restored checkpoint was refused"; }
exactly tout3 500
! grep -q Sanitizer "$T/all.log" || { grep -A5 Sanitizer "$T/all.log" | head -30; fail "sanitizer report"; }
echo "ok: transactional Kafka sink: $fulls full-disk stops resumed exactly once$([ $can_mount = 1 ] || echo " (no mount: full disk skipped)"); corrupt offsets and truncated commits refused, nothing published, then exactly once"
