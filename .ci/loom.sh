#!/usr/bin/env bash
# The loom models (loom-tests/): the runtime built with `--cfg loom`, in its own target
# directory (a RUSTFLAGS change rebuilds everything, so it must not share `target/`).
#
# Bounds: the models in loom-tests/src/lib.rs's `model()` state their preemption bound
# in code (3 for the task models, 2 or 1 for the worker-loop models);
# LOOM_MAX_PREEMPTIONS=2 bounds those that call `loom::model` directly (the pool's);
# LOOM_MAX_BRANCHES=10000 for all. LOOM_MAX_DURATION is deliberately not used: a model cut
# short by it reports success.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

export RUSTFLAGS="--cfg loom"
export CARGO_TARGET_DIR="${LOOM_TARGET_DIR:-target/loom}"
export LOOM_MAX_BRANCHES="${LOOM_MAX_BRANCHES:-10000}"
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-2}"
export CARGO_TERM_COLOR=never
unset LOOM_MAX_DURATION

if [ "${1:-}" = "--broken" ]; then
  # Not run by CI: proves the models can fail. The runtime is built with one ordering
  # broken (task/state.rs, cfg(loom_broken)); the join model must catch it.
  export RUSTFLAGS="--cfg loom --cfg loom_broken"
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR}-broken"
  if cargo test -p loom-tests --release --test task -- --exact join_waker_replaced_vs_complete 2>&1 |
    tee /dev/stderr | grep -q "Causality violation"; then
    echo "loom --broken: the broken ordering was caught in $(( $(date +%s) - started ))s"
    exit 0
  fi
  echo "loom --broken: NOT caught"
  exit 1
fi

# One model at a time: every model is single-threaded anyway (loom runs all model
# threads on one OS thread), and the per-model lines stay readable.
cargo test -p loom-tests --release --no-fail-fast -- --test-threads 1 --nocapture 2>&1 | tee /tmp/loom-ci.$$.log
status=${PIPESTATUS[0]}
models=$(grep -o '[0-9]* passed' /tmp/loom-ci.$$.log | awk '{s+=$1} END {print s+0}')
rm -f /tmp/loom-ci.$$.log
elapsed=$(( $(date +%s) - started ))
if [ "$status" -ne 0 ]; then
  echo "loom: FAILED after ${elapsed}s"
  exit "$status"
fi
echo "loom: ${models} models passed in ${elapsed}s (LOOM_MAX_BRANCHES=${LOOM_MAX_BRANCHES}, LOOM_MAX_PREEMPTIONS=${LOOM_MAX_PREEMPTIONS} for direct loom::model calls)"
