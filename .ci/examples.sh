#!/usr/bin/env bash
# Every example in runtime/examples/ runs to a zero exit status within a time bound (the
# examples assert what they print, so a broken runtime fails them). Release builds, in
# the ordinary target directory.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
export CARGO_TERM_COLOR=never
LIMIT="${EXAMPLE_TIMEOUT:-120}"

cargo build --release -p runtime --examples
log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed=0
ran=0
for f in runtime/examples/*.rs; do
  name=$(basename "$f" .rs)
  t0=$(date +%s)
  set +e
  timeout "$LIMIT" cargo run --quiet --release -p runtime --example "$name" >"$log" 2>&1
  status=$?
  set -e
  ran=$(( ran + 1 ))
  if [ "$status" -eq 0 ]; then
    echo "example $name: ok in $(( $(date +%s) - t0 ))s"
  elif [ "$status" -eq 124 ]; then
    cat "$log"
    echo "example $name: FAILED: still running after ${LIMIT}s"
    failed=$(( failed + 1 ))
  else
    cat "$log"
    echo "example $name: FAILED with exit status $status"
    failed=$(( failed + 1 ))
  fi
done
elapsed=$(( $(date +%s) - started ))
if [ "$ran" -eq 0 ] || [ "$failed" -ne 0 ]; then
  echo "examples: FAILED: ${failed} of ${ran} failed (${elapsed}s)"
  exit 1
fi
echo "examples: all ${ran} ran to success in ${elapsed}s"
