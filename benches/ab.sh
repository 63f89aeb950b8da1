#!/usr/bin/env bash
# Before/after of a scheduler change, measured in one interleaved `compare` run.
#
#   benches/ab.sh [BASE_REV] [-- COMPARE_ARGS...]
#
# Builds a scratch workspace (in $AB_DIR, default /tmp/runtime-ab) holding two
# copies of the runtime: the working tree's `runtime/` as `ours`, and
# `runtime/` at BASE_REV (default HEAD) as the package `runtime-base`, run as
# a fifth contender `ours-base`. compare then takes one sample of each in turn,
# so both builds see the same machine, and prints `ours / baseline` per
# workload. On a shared machine this is the only way to see a 10 % change:
# separate runs of one build differ by more than that.
#
# Examples:
#   benches/ab.sh                              # working tree vs HEAD, all workloads
#   benches/ab.sh HEAD~1 -- --runtime ours --runtime ours-base --workload fib
#   benches/ab.sh HEAD -- --runs 31 --stat min --no-refs
set -euo pipefail

repo=$(git rev-parse --show-toplevel)
base=HEAD
if [[ $# -gt 0 && $1 != -- ]]; then
    base=$1
    shift
fi
[[ ${1:-} == -- ]] && shift
dir=${AB_DIR:-/tmp/runtime-ab}
target=${CARGO_TARGET_DIR:-$repo/target-ab}

rm -rf "$dir"
mkdir -p "$dir"
# The workspace at the working tree (runtime, runtime-macros, benches as they are now).
tar -C "$repo" --exclude='./target*' --exclude='./.git' -cf - . | tar -C "$dir" -xf -
# The baseline runtime, renamed so both can be linked into one binary.
mkdir -p "$dir/.base"
git -C "$repo" archive "$base" runtime | tar -x -C "$dir/.base"
mv "$dir/.base/runtime" "$dir/runtime-base"
rmdir "$dir/.base"
sed -i 's/^name = "runtime"$/name = "runtime-base"/' "$dir/runtime-base/Cargo.toml"
# Its dev-dependency on itself (which turns its features on for its own tests) would
# name a package `runtime` that is not this one; the baseline's tests are not built.
sed -i '/^runtime = { path = "\."/d' "$dir/runtime-base/Cargo.toml"
sed -i 's/^members = \[/members = ["runtime-base", /' "$dir/Cargo.toml"

# The benches: one more dependency and one more adapter, generated from ours.rs.
b="$dir/benches"
# With the same `hyper` feature as ours, when the baseline has it (the http workload).
base_features=""
if grep -q '^hyper = \["dep:hyper"\]' "$dir/runtime-base/Cargo.toml"; then
    base_features=', features = ["hyper"]'
fi
sed -i "s|^runtime = { path = \"../runtime\"[^}]*}\$|&\nruntime_base = { path = \"../runtime-base\", package = \"runtime-base\"$base_features }|" "$b/Cargo.toml"
sed -e 's/runtime::/runtime_base::/g' \
    -e 's/\bOursSpawner\b/OursBaseSpawner/g' \
    -e 's/\bOurs\b/OursBase/g' \
    -e 's/"ours"/"ours-base"/' \
    -e 's/const OURS: bool = true;/const BASELINE: bool = true;/' \
    -e 's/"ours-worker"/"base-worker"/' \
    "$b/src/ours.rs" >"$b/src/ours_base.rs"
# A baseline from before runtime::net has no sockets: drop ours' network part
# (between the `ab.sh: net` markers); ours-base then shows "–" in those rows.
if ! grep -rqs 'pub struct TcpStream' "$dir/runtime-base/src/net"; then
    sed -i '/\/\/ ab.sh: net begin/,/\/\/ ab.sh: net end/d' "$b/src/ours_base.rs"
fi
sed -i 's/^pub mod ours;$/pub mod ours;\npub mod ours_base;/' "$b/src/lib.rs"
sed -i \
    -e 's|^    // ab.sh: baseline runtime here$|    if keep(crate::ours_base::OursBase::NAME) {\n        list.push(Box::new(crate::ours_base::OursBase::new(workers)));\n    }|' \
    -e 's|^    // ab.sh: baseline name here$|    crate::ours_base::OursBase::NAME,|' \
    "$b/src/harness.rs"
# The http workload, when the baseline has the `hyper` feature: the same server on it.
if [[ -n $base_features ]]; then
    sed -i 's|^    // ab.sh: baseline http server here$|    if keep(crate::ours_base::OursBase::NAME) {\n        list.push(start::<crate::ours_base::OursBase>(workers));\n    }|' \
        "$b/src/http.rs"
    cat >>"$b/src/http.rs" <<'RS'

impl HttpRuntime for crate::ours_base::OursBase {
    type Io = runtime_base::net::TcpStream;
    type Timer = runtime_base::time::Timer;

    fn io(stream: runtime_base::net::TcpStream) -> runtime_base::net::TcpStream {
        stream
    }

    fn timer() -> runtime_base::time::Timer {
        runtime_base::time::Timer
    }

    fn build(workers: usize) -> Self {
        crate::ours_base::OursBase::new(workers)
    }
}
RS
fi
grep -q OursBase "$b/src/harness.rs" || {
    echo "ab.sh: harness.rs lost its ab.sh markers" >&2
    exit 1
}

echo "ab.sh: ours = working tree, ours-base = $(git -C "$repo" rev-parse --short "$base") (in $dir)" >&2
cd "$dir"
CARGO_TARGET_DIR=$target cargo build --release -p benches --bin compare
exec "$target/release/compare" "$@"
