//! Adapters for the peers: tokio's multi-thread runtime, async-executor (the
//! executor under smol) and `futures::executor::ThreadPool`.

use std::future::Future;
use std::sync::Arc;
use std::thread;

use futures::channel::oneshot;
use futures::future::RemoteHandle;
use futures::task::SpawnExt;

use crate::exec::{Executor, Spawner, Unwrap, YieldNow};

/// tokio's multi-thread runtime with `worker_threads(N)`.
#[derive(Debug)]
pub struct Tokio {
    rt: tokio::runtime::Runtime,
    workers: usize,
}

/// Spawns with `tokio::spawn` (the current runtime, found in a thread-local).
#[derive(Debug, Clone, Copy)]
pub struct TokioSpawner;

impl Spawner for TokioSpawner {
    type Handle<T: Send + 'static> = Unwrap<tokio::task::JoinHandle<T>>;

    fn spawn<F>(&self, fut: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Unwrap(tokio::spawn(fut))
    }

    fn spawn_detached<F>(&self, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(tokio::spawn(fut));
    }

    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        tokio::task::yield_now()
    }
}

impl Executor for Tokio {
    const NAME: &'static str = "tokio";
    type Spawner = TokioSpawner;

    fn new(workers: usize) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("tokio-worker")
            .build()
            .expect("cannot build the tokio runtime");
        Tokio { rt, workers }
    }

    fn workers(&self) -> usize {
        self.workers
    }

    fn spawner(&self) -> TokioSpawner {
        TokioSpawner
    }

    fn spawn<F>(&self, fut: F) -> Unwrap<tokio::task::JoinHandle<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Unwrap(self.rt.spawn(fut))
    }

    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        self.rt.block_on(fut)
    }
}

/// An `async_executor::Executor` run by N threads, as its docs show: each
/// thread runs `block_on(ex.run(shutdown))`, and dropping the shutdown
/// senders stops them. (The docs use `async-channel` and `futures-lite`; a
/// `futures` oneshot per thread and `futures::executor::block_on` do the same
/// without two more dependencies.)
#[derive(Debug)]
pub struct AsyncExecutor {
    ex: Arc<async_executor::Executor<'static>>,
    workers: usize,
    shutdown: Vec<oneshot::Sender<()>>,
    threads: Vec<thread::JoinHandle<()>>,
}

/// Spawns on the shared `async_executor::Executor`.
#[derive(Debug, Clone)]
pub struct AsyncExecutorSpawner(Arc<async_executor::Executor<'static>>);

impl Spawner for AsyncExecutorSpawner {
    type Handle<T: Send + 'static> = async_executor::Task<T>;

    fn spawn<F>(&self, fut: F) -> async_executor::Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.0.spawn(fut)
    }

    fn spawn_detached<F>(&self, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.0.spawn(fut).detach();
    }

    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        YieldNow::default()
    }
}

impl Executor for AsyncExecutor {
    const NAME: &'static str = "async-executor";
    type Spawner = AsyncExecutorSpawner;

    fn new(workers: usize) -> Self {
        let ex = Arc::new(async_executor::Executor::new());
        let mut shutdown = Vec::with_capacity(workers);
        let mut threads = Vec::with_capacity(workers);
        for i in 0..workers {
            let (tx, rx) = oneshot::channel::<()>();
            let ex = Arc::clone(&ex);
            let thread = thread::Builder::new()
                .name(format!("async-executor-{i}"))
                .spawn(move || {
                    // Ends with `Err(Canceled)` when the sender is dropped.
                    let _ = futures::executor::block_on(ex.run(rx));
                })
                .expect("cannot start an async-executor thread");
            shutdown.push(tx);
            threads.push(thread);
        }
        AsyncExecutor {
            ex,
            workers,
            shutdown,
            threads,
        }
    }

    fn workers(&self) -> usize {
        self.workers
    }

    fn spawner(&self) -> AsyncExecutorSpawner {
        AsyncExecutorSpawner(Arc::clone(&self.ex))
    }

    fn spawn<F>(&self, fut: F) -> async_executor::Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.ex.spawn(fut)
    }

    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        futures::executor::block_on(fut)
    }
}

impl Drop for AsyncExecutor {
    fn drop(&mut self) {
        self.shutdown.clear();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// `futures::executor::ThreadPool` with `pool_size(N)`. It has no join
/// handle of its own: handles are `RemoteHandle`s from
/// `SpawnExt::spawn_with_handle`, detached spawns use `spawn_ok`.
#[derive(Debug)]
pub struct FuturesPool {
    pool: futures::executor::ThreadPool,
    workers: usize,
}

/// A clone of the pool (one `Arc`).
#[derive(Debug, Clone)]
pub struct FuturesPoolSpawner(futures::executor::ThreadPool);

impl Spawner for FuturesPoolSpawner {
    type Handle<T: Send + 'static> = RemoteHandle<T>;

    fn spawn<F>(&self, fut: F) -> RemoteHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.0
            .spawn_with_handle(fut)
            .expect("the thread pool never refuses a spawn")
    }

    fn spawn_detached<F>(&self, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.0.spawn_ok(fut);
    }

    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        YieldNow::default()
    }
}

impl Executor for FuturesPool {
    const NAME: &'static str = "futures ThreadPool";
    // A wake during its own poll sets a "repoll" flag and the same worker
    // polls the task again at once: yield_now never reaches a queue.
    const YIELD_REPOLLS_IN_PLACE: bool = true;
    type Spawner = FuturesPoolSpawner;

    fn new(workers: usize) -> Self {
        let pool = futures::executor::ThreadPool::builder()
            .pool_size(workers)
            .name_prefix("futures-pool-")
            .create()
            .expect("cannot build the futures thread pool");
        FuturesPool { pool, workers }
    }

    fn workers(&self) -> usize {
        self.workers
    }

    fn spawner(&self) -> FuturesPoolSpawner {
        FuturesPoolSpawner(self.pool.clone())
    }

    fn spawn<F>(&self, fut: F) -> RemoteHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.pool
            .spawn_with_handle(fut)
            .expect("the thread pool never refuses a spawn")
    }

    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        futures::executor::block_on(fut)
    }
}
