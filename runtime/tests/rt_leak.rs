//! No task allocation outlives its runtime: a counting allocator sees the live heap
//! return to the same size after each build/spawn/drop cycle.

#[path = "common/counting_alloc.rs"]
mod counting_alloc;

#[global_allocator]
static ALLOC: counting_alloc::Counting = counting_alloc::Counting;

/// What a leaked pending task weighs at least: its future holds an array this large.
/// The live heap moves by up to about 15 KB between cycles without any leak (buffers
/// that crossbeam frees late, lazily grown ones), so the bound below is this one
/// task's weight: a single leaked pending task over all the cycles fails the test.
const PENDING_BUF: usize = 32 * 1024;

fn cycle(tasks: usize) {
    let rt = runtime::Builder::new().worker_threads(2).build().unwrap();
    let handles: Vec<_> = (0..tasks)
        .map(|i| {
            rt.spawn(async move {
                if i % 2 == 0 {
                    // Inline in the future, so in the task's own block: a leaked task
                    // weighs this much whether its future or only its block is kept.
                    let buf = [0u8; PENDING_BUF];
                    std::future::pending::<()>().await;
                    return std::hint::black_box(buf).len();
                }
                vec![0u8; 256].len()
            })
        })
        .collect();
    let done = rt.block_on(async {
        let mut done = 0;
        for h in handles.into_iter().skip(1).step_by(2) {
            done += h.await.unwrap();
        }
        done
    });
    assert_eq!(done, 256 * (tasks / 2));
    drop(rt);
}

/// Tasks spawned on the workers, so their blocks go through the workers' caches and
/// the runtime's depot (task/alloc.rs): all of it is freed with the runtime.
fn cycle_on_workers(tasks: usize) {
    let rt = runtime::Builder::new().worker_threads(2).build().unwrap();
    let sum = rt.block_on(rt.spawn(async move {
        let mut sum = 0;
        for round in 0..3 {
            let handles: Vec<_> = (0..tasks)
                .map(|i| runtime::spawn(async move { vec![round as u8; 1 + i % 300].len() }))
                .collect();
            for h in handles {
                sum += h.await.unwrap();
            }
        }
        sum
    }));
    let per_round: usize = (0..tasks).map(|i| 1 + i % 300).sum();
    assert_eq!(sum.unwrap(), 3 * per_round);
    drop(rt);
}

#[test]
fn task_allocations_are_freed() {
    // Half of `cycle`'s tasks stay pending (and hold `PENDING_BUF` each).
    let (tasks, worker_tasks) = if cfg!(miri) { (20, 20) } else { (400, 2000) };
    cycle(tasks); // warm-up: thread-locals, lazily allocated globals
    let base = counting_alloc::live();
    for _ in 0..5 {
        cycle(tasks);
    }
    for _ in 0..5 {
        cycle_on_workers(worker_tasks);
    }
    let grown = counting_alloc::live() - base;
    // One leaked pending task weighs over `PENDING_BUF`.
    assert!(
        grown < PENDING_BUF as isize,
        "live heap grew by {grown} bytes over 10 cycles"
    );
}
