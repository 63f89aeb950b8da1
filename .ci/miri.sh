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

# The integration tests that cover the concurrent core end to end, and the ones whose
# soundness rests on a protocol rather than on types (scope's lifetime erasure,
# block_in_place's core hand-over); the others (timers, the blocking pool's timing,
# trybuild, child processes) add Miri time without new unsafe code paths.
SUBSET=(rt_spawn rt_shutdown rt_recycle rt_leak rt_sched rt_current task_abort task_join_set
  task_shared task_spawn_immediate task_block_in_place task_local task_dump scope pool_threads
  pool_async)
tests=()
files=(runtime/src)
for t in "${SUBSET[@]}"; do
  if [ ! -f "runtime/tests/$t.rs" ]; then
    echo "miri: the subset names runtime/tests/$t.rs, which does not exist"
    exit 1
  fi
  tests+=(--test "$t")
  files+=("runtime/tests/$t.rs")
done
# What must run: every test function in the unit tests and the subset, less those
# marked `#[cfg_attr(miri, ignore)]` or `#[cfg_attr(miri, ignore = "why")]` (which must
# be reported ignored, no more).
total=$(grep -rhcE '^\s*#\[(test|runtime::test[^]]*)\]' "${files[@]}" | awk '{s+=$1} END {print s+0}')
expected_ignored=$(grep -rhc 'cfg_attr(miri, ignore' "${files[@]}" | awk '{s+=$1} END {print s+0}')
expected=$(( total - expected_ignored ))

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo +nightly miri test --no-fail-fast -p runtime --lib "${tests[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -o '[0-9]* passed' "$log" | awk '{s+=$1} END {print s+0}')
failed=$(grep -o '[0-9]* failed' "$log" | awk '{s+=$1} END {print s+0}')
ignored=$(grep -o '[0-9]* ignored' "$log" | awk '{s+=$1} END {print s+0}')
elapsed=$(( $(date +%s) - started ))
summary="${passed} of ${expected} tests passed, ${failed} failed, ${ignored} ignored (${expected_ignored} marked), in ${elapsed}s (MIRIFLAGS=$MIRIFLAGS)"
if [ "$status" -ne 0 ]; then
  echo "miri: FAILED: $summary"
  exit "$status"
fi
if [ "$passed" -ne "$expected" ] || [ "$ignored" -ne "$expected_ignored" ]; then
  echo "miri: FAILED: $summary: not the tests that exist"
  exit 1
fi
echo "miri: $summary"
