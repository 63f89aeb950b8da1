#!/usr/bin/env bash
# The `http` workload of `compare` (issue 14): a hyper 1.x "hello" server on
# tokio, smol and ours, driven by wrk in its own process.
#
#   benches/http.sh [COMPARE_ARGS...]
#
# Installs wrk with apt-get when it is missing (the bench itself never runs
# apt: compare's http workload stops with a message if wrk is not there), then
# builds and runs `compare --workload http` with the given extra arguments.
#
# Examples:
#   benches/http.sh                         # 5 rounds of 5 s per runtime
#   benches/http.sh --runs 9 --http-secs 3
#   benches/http.sh --quick                 # smoke test: 2 rounds of 1 s
set -euo pipefail

if ! command -v wrk >/dev/null; then
    echo "http.sh: wrk is missing; installing it with apt-get" >&2
    sudo=
    [[ $(id -u) -ne 0 ]] && sudo=sudo
    $sudo apt-get install -y wrk
fi

cd "$(git rev-parse --show-toplevel)"
cargo build --release -p benches --bin compare
exec "${CARGO_TARGET_DIR:-target}/release/compare" --workload http "$@"
