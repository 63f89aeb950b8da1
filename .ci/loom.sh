#!/usr/bin/env bash
# The loom models (loom-tests/): the runtime built with `--cfg loom`, in its own target
# directory (a RUSTFLAGS change rebuilds everything, so it must not share `target/`).
#
# Bounds: each model states its preemption bound in code (3 for the task models, 2 or
# 1 for the worker-loop models; LOOM_MAX_PREEMPTIONS, if set, overrides it for all),
# and LOOM_MAX_BRANCHES=10000. LOOM_MAX_DURATION is deliberately not used: a model cut
# short by it reports success.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

export RUSTFLAGS="--cfg loom"
export CARGO_TARGET_DIR="${LOOM_TARGET_DIR:-target/loom}"
export LOOM_MAX_BRANCHES="${LOOM_MAX_BRANCHES:-10000}"
export CARGO_TERM_COLOR=never
unset LOOM_MAX_DURATION

# One model at a time: every model is single-threaded anyway (loom runs all model
# threads on one OS thread), and the per-model lines stay readable.
cargo test -p loom-tests --release -- --test-threads 1 --nocapture 2>&1 | tee /tmp/loom-ci.$$.log
status=${PIPESTATUS[0]}
models=$(grep -o '[0-9]* passed' /tmp/loom-ci.$$.log | awk '{s+=$1} END {print s+0}')
rm -f /tmp/loom-ci.$$.log
elapsed=$(( $(date +%s) - started ))
if [ "$status" -ne 0 ]; then
  echo "loom: FAILED after ${elapsed}s"
  exit "$status"
fi
echo "loom: ${models} models passed in ${elapsed}s (LOOM_MAX_BRANCHES=${LOOM_MAX_BRANCHES})"
