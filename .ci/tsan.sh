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
for f in runtime/tests/*.rs; do
  name=$(basename "$f" .rs)
  [ "$name" = macros ] || tests+=(--test "$name")
done
cargo +nightly test -Zbuild-std --target "$target" -p runtime --no-fail-fast "${tests[@]}" 2>&1 |
  tee /tmp/tsan-ci.$$.log
status=${PIPESTATUS[0]}
passed=$(grep -o '[0-9]* passed' /tmp/tsan-ci.$$.log | awk '{s+=$1} END {print s+0}')
rm -f /tmp/tsan-ci.$$.log
elapsed=$(( $(date +%s) - started ))
if [ "$status" -ne 0 ]; then
  echo "tsan: FAILED after ${elapsed}s"
  exit "$status"
fi
echo "tsan: ${passed} tests passed in ${elapsed}s"
