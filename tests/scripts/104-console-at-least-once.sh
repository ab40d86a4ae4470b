#!/usr/bin/env bash
# The console sink is at-least-once, and says so: a checkpointed console
# query killed (SLUICE_CRASH_AT_STEP) in the middle of a batch's checkpoint
# re-runs that batch on restart, prints it, and warns that it may have been
# printed before. A restart that re-runs nothing gives no warning.
set -eu
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}" "${SLUICE:=$ROOT/build/sluice}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
mkdir "$T/in"
printf '{"k":"a","v":1}\n{"k":"b","v":2}\n' > "$T/in/1.json"
warned=0 reruns=0
for k in $(seq 1 24); do
    rm -rf "$T/ck"
    cat > "$T/q.sql" <<SQL
CREATE SOURCE s (k STRING, v INT) WITH (connector = 'file', path = '$T/in', format = 'json');
CREATE SINK out WITH (connector = 'console', trigger = 'availableNow', checkpointLocation = '$T/ck') AS
SELECT k, v FROM s;
SQL
    (SLUICE_CRASH_AT_STEP=$k exec "$SLUICE" run "$T/q.sql" > "$T/out1" 2> "$T/err1") 2>/dev/null || true
    "$SLUICE" run "$T/q.sql" > "$T/out2" 2> "$T/err2" ||
        { cat "$T/err2"; echo "FAIL: restart after a crash at step $k"; exit 1; }
    if grep -q "re-running a batch cut short" "$T/err2"; then
        reruns=$((reruns + 1))
        grep -q "the console sink is at-least-once" "$T/err2" ||
            { cat "$T/err2"; echo "FAIL: step $k: a re-run without the at-least-once warning"; exit 1; }
        grep -q "^Batch: 0" "$T/out2" ||
            { cat "$T/out2"; echo "FAIL: step $k: the re-run batch was not printed"; exit 1; }
        grep -q "^Batch: 0" "$T/out1" && warned=$((warned + 1))   # printed twice: at-least-once
    elif grep -q "at-least-once" "$T/err2"; then
        cat "$T/err2"; echo "FAIL: step $k: a warning without a re-run"; exit 1
    fi
done
[ "$reruns" -gt 0 ] || { echo "FAIL: no crash step left a batch to re-run"; exit 1; }
[ "$warned" -gt 0 ] || { echo "FAIL: no crash step came after the batch was printed"; exit 1; }
echo "ok: $reruns crash steps re-ran the batch, $warned of them after it had been printed once"
