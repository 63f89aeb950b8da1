//! Shared workloads for the side-by-side benchmarks (issue 7).
