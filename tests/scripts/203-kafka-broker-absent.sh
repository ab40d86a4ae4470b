#!/usr/bin/env bash
# With no broker listening, produce and consume fail with a clear message
# after the bounded wait instead of hanging.
set -eu
. "$(dirname "$0")/200-kafka-lib.sh"
# a port nothing listens on: bind one, close it
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
set +e
"$SK" consume --bootstrap 127.0.0.1:$PORT --topic x --connect-timeout 1s > /dev/null 2> "$T/err1"
rc1=$?
echo '{"a":1}' | "$SK" produce --bootstrap 127.0.0.1:$PORT --topic x --connect-timeout 1s 2> "$T/err2"
rc2=$?
set -e
[ $rc1 -eq 1 ] && [ $rc2 -eq 1 ] || { echo "FAIL: exit codes $rc1 $rc2"; exit 1; }
grep -q "no Kafka broker answered at '127.0.0.1:$PORT'" "$T/err1" || { cat "$T/err1"; echo "FAIL: consume message"; exit 1; }
grep -q "no Kafka broker answered" "$T/err2" || { cat "$T/err2"; echo "FAIL: produce message"; exit 1; }
echo "ok: a missing broker is a clear error"
