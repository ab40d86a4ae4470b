#!/usr/bin/env bash
# Dashboard security through the real command (`sluice run --ui ADDR
# [--token T]`), beside 610's checks on the server alone:
#  - a bare port binds 127.0.0.1 only: the listening socket's address is
#    loopback (ss), and the machine's other address is refused;
#  - a non-loopback address without a token is refused at startup with a
#    clear error and exit status 2, before anything runs;
#  - with a token, every request without it (each endpoint, unknown paths,
#    HEAD, other methods) gets 401, and a wrong token too;
#  - path traversal attempts (plain, percent-encoded, doubled slashes) get
#    404 and never file contents;
#  - no endpoint touches the file system: under strace, serving every
#    endpoint many times makes no file system call at all (the fake
#    provider's server, so the engine's own files do not mix in).
set -uo pipefail
: "${SLUICE:?}" "${BUILD:?}"
command -v curl >/dev/null || { echo "skip: curl not installed"; exit 77; }
command -v ss >/dev/null || { echo "skip: ss (iproute2) not installed"; exit 77; }
. "$(dirname "$0")/lib.sh"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

cat >"$T/job.sql" <<'SQL'
CREATE SOURCE r (timestamp TIMESTAMP, value BIGINT) WITH (connector = 'rate', rowsPerSecond = '5');
CREATE SINK c WITH (connector = 'console', trigger = '1 second') AS SELECT value FROM r;
SQL

# Starts `sluice run` with the given dashboard arguments and sets PORT from
# the "dashboard at" line it prints once it listens (the readiness event).
start_run() {
    local fifo="$T/fifo.$RANDOM"
    mkfifo "$fifo"
    "$SLUICE" run "$T/job.sql" "$@" >"$T/run.out" 2>"$fifo" &
    track $!
    exec 3<"$fifo"
    PORT=""
    local line
    while read -r -t 30 line <&3; do
        echo "$line" >>"$T/run.err"
        if [[ $line == *"dashboard at http://"* ]]; then
            PORT=${line##*:}; PORT=${PORT%%/*}
            break
        fi
    done
    # keep draining stderr so the engine never blocks on a full pipe
    cat <&3 >>"$T/run.err" &
    track $!
    exec 3<&-
    rm -f "$fifo"
    [[ $PORT =~ ^[0-9]+$ ]] || fail "dashboard did not start: $(cat "$T/run.err")"
}

# 1. A bare port binds loopback only.
start_run --ui 0
listen=$(ss -ltnH "sport = :$PORT" | awk '{print $4}')
[ "$listen" = "127.0.0.1:$PORT" ] || fail "--ui 0 listens on '$listen', not 127.0.0.1:$PORT"
[ "$(code "http://127.0.0.1:$PORT/api/queries")" = 200 ] || fail "loopback request refused"
other=$(ip -4 -o addr show scope global 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -1)
if [ -n "$other" ]; then
    c=$(code --max-time 5 "http://$other:$PORT/api/queries")
    [ "$c" = 000 ] || fail "the dashboard answered on $other ($c)"
    echo "not reachable on $other: ok"
fi
# Without a token, a foreign Host (DNS rebinding) is refused.
[ "$(code -H 'Host: evil.example' "http://127.0.0.1:$PORT/api/queries")" = 403 ] || fail "foreign Host not 403"
stop_all

# 2. Non-loopback without a token: refused at startup.
for addr in 0.0.0.0:0 "[::]:0" 192.0.2.77:0; do
    "$SLUICE" run "$T/job.sql" --ui "$addr" >"$T/nt.out" 2>"$T/nt.err"
    rc=$?
    [ $rc -eq 2 ] || fail "--ui $addr without a token: exit $rc, want 2"
    grep -q "not loopback: give a token" "$T/nt.err" || fail "--ui $addr: unclear error: $(cat "$T/nt.err")"
    [ ! -s "$T/nt.out" ] || fail "--ui $addr without a token ran the query: $(head -3 "$T/nt.out")"
done
echo "non-loopback without a token refused: ok"
# An empty token is no token.
"$SLUICE" run "$T/job.sql" --ui 0.0.0.0:0 --token "" >/dev/null 2>"$T/nt.err"
[ $? -eq 2 ] || fail "an empty token was accepted"

# 3. With a token every request needs it.
TOK=tok-$RANDOM$RANDOM
start_run --ui 0.0.0.0:0 --token "$TOK"
U="http://127.0.0.1:$PORT"
n=0
for path in / /index.html /api/queries /metrics /nope /../../etc/passwd /api /metrics/x; do
    for how in "" "-I" "-X POST" "-X DELETE"; do
        # shellcheck disable=SC2086
        c=$(code --path-as-is $how "$U$path")
        [ "$c" = 401 ] || fail "$how $path without a token: $c, want 401"
        c=$(code --path-as-is $how -H "Authorization: Bearer x$TOK" "$U$path")
        [ "$c" = 401 ] || fail "$how $path with a wrong token: $c, want 401"
        n=$((n + 2))
    done
done
echo "$n requests without the right token: all 401"
for path in / /api/queries /metrics; do
    [ "$(code -H "Authorization: Bearer $TOK" "$U$path")" = 200 ] || fail "$path with the token refused"
done

# 4. Path traversal gives 404 and no file.
for path in /../../etc/passwd /..%2f..%2fetc%2fpasswd /%2e%2e/%2e%2e/etc/passwd //etc/passwd \
            /./etc/passwd /api/../../../etc/passwd "/index.html/../../etc/passwd" /etc/passwd \
            "/..\\..\\etc\\passwd"; do
    curl -s --path-as-is -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TOK" "$U$path" >"$T/code"
    c=$(cat "$T/code")
    [ "$c" = 404 ] || [ "$c" = 400 ] || fail "traversal $path: $c, want 404"
    ! grep -q "root:" "$T/body" || fail "traversal $path returned /etc/passwd"
done
# libmicrohttpd decodes %00 into the end of the path, so "/%00/etc/passwd"
# is "/" (the front end): still never a file.
curl -s --path-as-is -o "$T/body" -H "Authorization: Bearer $TOK" "$U/%00/etc/passwd"
! grep -q "root:" "$T/body" || fail "/%00/etc/passwd returned /etc/passwd"
echo "path traversal: 404"
stop_all

# 5. No file system access while serving (the fake provider's server).
if command -v strace >/dev/null && [ -x "$BUILD/dashboard_fake" ] && strace -f -o /dev/null true 2>/dev/null; then
    fifo="$T/ffifo"
    mkfifo "$fifo"
    strace -f -qq -e trace=%file,%desc -o "$T/strace.log" "$BUILD/dashboard_fake" --addr 127.0.0.1:0 >"$fifo" 2>"$T/fake.err" &
    spid=$!
    read -r -t 60 line <"$fifo" || true
    # the traced server itself, so it can be stopped by its own id
    fpid=$(pgrep -P "$spid" | head -1)
    track $spid $fpid   # stopped in reverse: the server, then strace
    FP=${line##* }
    [[ $FP =~ ^[0-9]+$ ]] || fail "dashboard_fake did not start: $line $(cat "$T/fake.err")"
    # Everything the server did before it listened is start-up.
    mark=$(wc -l <"$T/strace.log")
    for i in 1 2 3 4 5; do
        for path in / /index.html /api/queries /metrics /nope /../../etc/passwd /etc/passwd; do
            code --path-as-is "http://127.0.0.1:$FP$path" >/dev/null
        done
    done
    [ "$(code "http://127.0.0.1:$FP/api/queries")" = 200 ] || fail "fake server not answering"
    # The fake provider (not the server) formats times with localtime(),
    # whose one-time tzset() reads /etc/localtime; fstat on an open
    # descriptor ("") is not a file access by name either.
    files=$(tail -n +"$((mark + 1))" "$T/strace.log" | grep -v '"/etc/localtime"' | grep -v 'fstatat([0-9]*, ""' | grep -E '(^|[^a-z_])(open|openat|openat2|creat|stat|newfstatat|statx|lstat|access|faccessat|faccessat2|unlink|unlinkat|rename|renameat|renameat2|mkdir|mkdirat|rmdir|readlink|readlinkat|truncate|chmod|chown|symlink|link|execve)\(' || true)
    [ -z "$files" ] || fail "the server touched the file system while serving:
$(echo "$files" | head -10)"
    echo "strace: $(($(wc -l <"$T/strace.log") - mark)) system calls while serving 36 requests, none on files"
else
    echo "strace unavailable or not permitted: the file-access check did not run"
fi
echo "ok"
