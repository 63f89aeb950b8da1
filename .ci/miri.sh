#!/usr/bin/env bash
# Miri: the runtime's unit tests and a focused subset of its integration tests, under
# Tree Borrows. Stacked Borrows is not used because crossbeam-epoch 0.9 (under
# crossbeam-deque's `Worker`) violates it in a released version; -Zmiri-ignore-leaks
# because crossbeam-epoch keeps global garbage alive at exit. (parking_lot 0.13 passes
# strict provenance; 0.12 did not.) Slow tests shrink their sizes under cfg(miri)
# rather than being skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

rustup toolchain install nightly --profile minimal >/dev/null 2>&1 || true
rustup component add miri rust-src --toolchain nightly >/dev/null 2>&1 ||
  rustup component add miri rust-src --toolchain nightly
cargo +nightly miri setup >/dev/null

export CARGO_TARGET_DIR="${MIRI_TARGET_DIR:-target/miri}"
export MIRIFLAGS="${MIRIFLAGS:--Zmiri-tree-borrows -Zmiri-ignore-leaks}"
export CARGO_TERM_COLOR=never

# The integration tests that cover the concurrent core end to end; the others (timers,
# the blocking pool's timing, trybuild) add Miri time without new unsafe code paths.
SUBSET=(rt_spawn rt_shutdown rt_recycle rt_leak task_abort task_join_set task_shared pool_threads)
tests=()
for t in "${SUBSET[@]}"; do
  if [ -f "runtime/tests/$t.rs" ]; then
    tests+=(--test "$t")
  fi
done

cargo +nightly miri test --no-fail-fast -p runtime --lib "${tests[@]}" 2>&1 | tee /tmp/miri-ci.$$.log
status=${PIPESTATUS[0]}
passed=$(grep -o '[0-9]* passed' /tmp/miri-ci.$$.log | awk '{s+=$1} END {print s+0}')
ignored=$(grep -o '[0-9]* ignored' /tmp/miri-ci.$$.log | awk '{s+=$1} END {print s+0}')
rm -f /tmp/miri-ci.$$.log
elapsed=$(( $(date +%s) - started ))
if [ "$status" -ne 0 ]; then
  echo "miri: FAILED after ${elapsed}s (MIRIFLAGS=$MIRIFLAGS)"
  exit "$status"
fi
echo "miri: ${passed} tests passed (${ignored} ignored) in ${elapsed}s (MIRIFLAGS=$MIRIFLAGS)"
