#!/usr/bin/env bash
# ThreadSanitizer on the runtime's integration tests: std rebuilt with the sanitizer
# (-Zbuild-std), in its own target directory. The only suppression is
# crossbeam-deque's known benign speculative read (.ci/tsan-suppressions.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

rustup toolchain install nightly --profile minimal >/dev/null 2>&1 || true
rustup component add rust-src --toolchain nightly >/dev/null 2>&1 ||
  rustup component add rust-src --toolchain nightly

target=x86_64-unknown-linux-gnu
export RUSTFLAGS="-Zsanitizer=thread"
export RUSTDOCFLAGS="-Zsanitizer=thread"
export CARGO_TARGET_DIR="${TSAN_TARGET_DIR:-target/tsan}"
export TSAN_OPTIONS="suppressions=$PWD/.ci/tsan-suppressions.txt halt_on_error=1 second_deadlock_stack=1"
export CARGO_TERM_COLOR=never

# Every test target but `macros` (trybuild: compares rustc's messages, which differ on
# nightly, and has no concurrency to check).
tests=(--lib)
files=(runtime/src)
for f in runtime/tests/*.rs; do
  name=$(basename "$f" .rs)
  if [ "$name" != macros ]; then
    tests+=(--test "$name")
    files+=("$f")
  fi
done
# What must run: every test function there, less those marked `#[ignore]`.
total=$(grep -rhcE '^\s*#\[(test|runtime::test[^]]*)\]' "${files[@]}" | awk '{s+=$1} END {print s+0}')
expected_ignored=$(grep -rhcE '^\s*#\[ignore' "${files[@]}" | awk '{s+=$1} END {print s+0}')
expected=$(( total - expected_ignored ))

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo +nightly test -Zbuild-std --target "$target" -p runtime --no-fail-fast "${tests[@]}" 2>&1 |
  tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -o '[0-9]* passed' "$log" | awk '{s+=$1} END {print s+0}')
failed=$(grep -o '[0-9]* failed' "$log" | awk '{s+=$1} END {print s+0}')
ignored=$(grep -o '[0-9]* ignored' "$log" | awk '{s+=$1} END {print s+0}')
elapsed=$(( $(date +%s) - started ))
summary="${passed} of ${expected} tests passed, ${failed} failed, ${ignored} ignored, in ${elapsed}s"
if [ "$status" -ne 0 ]; then
  echo "tsan: FAILED: $summary"
  exit "$status"
fi
if [ "$passed" -ne "$expected" ] || [ "$ignored" -ne "$expected_ignored" ]; then
  echo "tsan: FAILED: $summary: not the tests that exist"
  exit 1
fi
echo "tsan: $summary"
