#!/usr/bin/env bash
# Installs the Debian packages sluice builds, tests and demos with.
# Idempotent: asks apt only for what dpkg says is missing, so a second run is a
# no-op. Called by `make demo` and `make test`; safe to run by hand.
set -euo pipefail

packages=(
  build-essential pkg-config
  librdkafka-dev kcat            # Kafka source/sink, embedded broker, CLI poking
  libsnappy-dev libzstd-dev zlib1g-dev   # Parquet page compression
  libpcre2-dev                   # regexp_replace, LIKE via regex
  libsimdjson-dev                # JSON benchmark reference only
  libxgboost-dev python3-xgboost # model training; scoring oracle
  librocksdb-dev                 # large state backend
  libmicrohttpd-dev              # dashboard
  clang libclang-rt-14-dev       # libFuzzer targets
  nodejs npm                     # DuckDB oracle, dashboard assets, browser test
  chromium                       # dashboard browser test (playwright-core drives it)
  time util-linux                # make bench-nexmark: /usr/bin/time (peak RSS), taskset
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# nodejs/npm may come from outside Debian on some machines: accept any working node.
if command -v node >/dev/null && command -v npm >/dev/null; then
  tmp=(); for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || tmp+=("$p"); done
  missing=("${tmp[@]}")
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
