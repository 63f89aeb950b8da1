#!/usr/bin/env bash
# The loom models (loom-tests/): the runtime built with `--cfg loom` and debug assertions
# on (`-C debug-assertions`, so the runtime's own assertions are part of what is
# checked), in its own target directory (a RUSTFLAGS change rebuilds everything, so it
# must not share `target/`).
#
#   .ci/loom.sh            every model; fails unless exactly the models that exist ran
#                          and passed
#   .ci/loom.sh --broken   the planted bugs: for each, the runtime is rebuilt with
#                          `--cfg loom_broken="<name>"` and the one model family that
#                          must catch it is run; fails unless every plant is caught
#
# Bounds: each model states its preemption bound in code (`loom_tests::model`: 3 for the
# task models, 2 or 1 for the worker-loop models) and the minimum number of executions
# it must explore; LOOM_MAX_BRANCHES=10000 for all. LOOM_MAX_DURATION is deliberately
# not used: a model cut short by it reports success.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

export CARGO_TARGET_DIR="${LOOM_TARGET_DIR:-target/loom}"
export LOOM_MAX_BRANCHES="${LOOM_MAX_BRANCHES:-10000}"
export CARGO_TERM_COLOR=never
unset LOOM_MAX_DURATION LOOM_MAX_PREEMPTIONS
flags="--cfg loom -C debug-assertions"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# The plants: name, the test file of the model family that must catch it, its models.
# Each is a one-line `#[cfg(loom_broken = "<name>")]` alternative at the site:
#   complete_order  task/state.rs, transition_to_complete: Relaxed instead of AcqRel, the
#                   output is not published to the joiner that sees COMPLETE
#   fast_complete   task/state.rs, transition_to_complete_and_release: the fast
#                   completion path drops a registered join waker without waking it
#   r3_store        task/state.rs, transition_to_running: the rule-R3 plain store taken
#                   while a second reference is alive, erasing its holder's CAS
#   park_rescan     scheduler/worker.rs, park: no rescan after the announcement; the
#                   two-worker model must catch it (it does not at preemption bound 1,
#                   so that model runs at 2)
#   pool_wake       pool/wait.rs, after_release: no SeqCst fence (R2) between the unlock
#                   and the read of `waiting`
#   credits         scheduler/runtime_ref.rs, Credits::give_back: a freed task's
#                   reference is neither kept as a credit nor given back
#   lifo_take       scheduler/lifo.rs, LifoSlot::take: the owner claims the task with a
#                   load and a store, not a swap, so a thief may take it too
#   driver_wake     scheduler/park.rs, unpark_with: an unpark that finds PARKED_DRIVER
#                   signals the condition variable, not the reactor's waker, so a worker
#                   blocked in the reactor sleeps through it
#   driver_park     scheduler/park.rs, park_in_driver: PARKED_DRIVER announced with a
#                   swap, not a CAS from EMPTY, erasing the token of an unpark that
#                   raced the decision to drive
#   io_clear_tick   io/scheduled_io.rs, clear_readiness: the clear ignores the tick, so
#                   an event between a waiter's read and its WouldBlock clear is erased
PLANTS=(
  "complete_order task join_waker_replaced_vs_complete"
  "fast_complete task join_waker_vs_complete"
  "r3_store task join_handle_drop_vs_complete"
  "park_rescan scheduler spawn_vs_park_two_workers"
  "pool_wake pool a_release_racing_a_registration_wakes_the_waiter"
  "credits scheduler task_refs_outlive_the_runtime"
  "lifo_take lifo owner_take_vs_steal"
  "driver_wake io spawn_vs_driver_park"
  "driver_park io spawn_vs_driver_park"
  "io_clear_tick io clear_vs_new_event"
)

if [ "${1:-}" = "--broken" ]; then
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR}-broken"
  missed=0
  for plant in "${PLANTS[@]}"; do
    read -r name file models <<<"$plant"
    t0=$(date +%s)
    export RUSTFLAGS="$flags --cfg loom_broken=\"$name\""
    # A model that fails exits 101; so does a build error, told apart below.
    set +e
    # shellcheck disable=SC2086 # $models: one word per model name
    cargo test -p loom-tests --release --test "$file" -- --exact --test-threads 1 $models \
      >"$log" 2>&1
    status=$?
    set -e
    took=$(( $(date +%s) - t0 ))
    # Only the named models ran, so any failure of the test binary is theirs; a loom
    # failure may abort the binary (a panic while unwinding), so its "FAILED" line
    # may be missing. What must be there: the binary ran, and it did not pass.
    if [ "$status" -ne 0 ] && grep -q "^running [1-9][0-9]* test" "$log" &&
      ! grep -q "^test result: ok" "$log"; then
      # The first panic: its message (loom's "Causality violation", "deadlock", a
      # leak, or a model's or the runtime's assertion) and where it was raised.
      where=$(grep -m1 -o "panicked at [^ ]*" "$log" | sed 's/^panicked at //; s/:$//')
      why=$(grep -m1 -A1 "panicked at" "$log" | tail -n1)
      echo "loom --broken: plant $name caught by $file::$models in ${took}s: ${why} (${where##*/src/})"
    else
      cat "$log"
      if grep -q "^error\(\[E[0-9]*\]\)\?:" "$log" && ! grep -q "^running" "$log"; then
        echo "loom --broken: plant $name did not build"
      else
        echo "loom --broken: plant $name NOT caught by $file::$models (${took}s)"
      fi
      missed=$(( missed + 1 ))
    fi
  done
  elapsed=$(( $(date +%s) - started ))
  if [ "$missed" -ne 0 ]; then
    echo "loom --broken: FAILED, ${missed} of ${#PLANTS[@]} plants not caught (${elapsed}s)"
    exit 1
  fi
  echo "loom --broken: all ${#PLANTS[@]} plants caught in ${elapsed}s"
  exit 0
fi

export RUSTFLAGS="$flags"
# The models that exist: one `#[test]` each in loom-tests/tests/.
expected=$(cat loom-tests/tests/*.rs | grep -c '^#\[test\]')
# One model at a time: every model is single-threaded anyway (loom runs all model
# threads on one OS thread), and the per-model lines stay readable.
set +e
cargo test -p loom-tests --release --no-fail-fast -- --test-threads 1 --nocapture 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -o '[0-9]* passed' "$log" | awk '{s+=$1} END {print s+0}')
failed=$(grep -o '[0-9]* failed' "$log" | awk '{s+=$1} END {print s+0}')
elapsed=$(( $(date +%s) - started ))
summary="${passed} of ${expected} models passed, ${failed} failed, in ${elapsed}s (RUSTFLAGS=\"$RUSTFLAGS\", LOOM_MAX_BRANCHES=${LOOM_MAX_BRANCHES})"
if [ "$status" -ne 0 ]; then
  echo "loom: FAILED: $summary"
  exit "$status"
fi
if [ "$passed" -ne "$expected" ]; then
  echo "loom: FAILED: $summary: the number of models that ran is not the number that exist"
  exit 1
fi
echo "loom: $summary"
