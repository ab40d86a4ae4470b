#!/usr/bin/env bash
# Browser test of the dashboard: Debian's chromium driven by playwright-core
# (tests/browser) opens the page served by build/dashboard_fake, sees the
# charts move and the map of India fill in, and checks a token-protected
# non-loopback server through ?token=.  With UPDATE_SCREENSHOT=1 it also
# rewrites docs/dashboard.png (the README's picture).
set -euo pipefail
: "${BUILD:?}" "${ROOT:?}"
FAKE="$BUILD/dashboard_fake"
[ -x "$FAKE" ] || { echo "FAIL: $FAKE not built (make all builds it)"; exit 1; }
[ -x /usr/bin/chromium ] || { echo "skip: /usr/bin/chromium not installed (scripts/install-deps.sh installs it)"; exit 77; }
command -v node >/dev/null && command -v npm >/dev/null || { echo "skip: node/npm not installed"; exit 77; }
B="$ROOT/tests/browser"
if [ ! -d "$B/node_modules/playwright-core" ]; then
    (cd "$B" && { npm ci --no-audit --no-fund || npm install --no-audit --no-fund; }) >/dev/null 2>&1 ||
        { echo "skip: cannot install playwright-core from npm"; exit 77; }
fi

. "$(dirname "$0")/lib.sh"
# Starts a server and sets PORT once it listens (its first line is the
# event). Not run in a subshell, so the exit trap sees every pid.
start() {
    local fifo="$T/fifo.$RANDOM" line=""
    mkfifo "$fifo"
    "$FAKE" "$@" >"$fifo" 2>>"$T/fake.err" &
    track $!
    read -r -t 20 line <"$fifo" || true
    rm -f "$fifo"
    [[ $line == "listening on port "* ]] || { echo "FAIL: server did not start: $line $(cat "$T/fake.err")"; exit 1; }
    PORT=${line##* }
}
# Start 60 batches in, so the charts open with a history, as on a live run.
start --addr 127.0.0.1:0 --start 60; P1=$PORT
start --addr 0.0.0.0:0 --token "browser-test-token"; P2=$PORT
shot="$T/dashboard.png"
[ "${UPDATE_SCREENSHOT:-0}" = 1 ] && shot="$ROOT/docs/dashboard.png"
# ASan builds are slower; the test's own waits are on page state.
timeout 150 node "$B/dashboard.test.mjs" "http://127.0.0.1:$P1/" \
    "http://127.0.0.1:$P2/?token=browser-test-token" "$shot"
[ -s "$shot" ] || { echo "FAIL: no screenshot"; exit 1; }
