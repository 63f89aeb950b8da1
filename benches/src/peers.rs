//! Adapters for the peers: tokio's multi-thread runtime, async-executor (the
//! executor under smol), `futures::executor::ThreadPool`, and for the network
//! workloads tokio with its I/O driver and smol (async-executor threads that
//! drive async-io's reactor).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread;

use futures::channel::oneshot;
use futures::future::RemoteHandle;
use futures::task::SpawnExt;

use crate::exec::{Executor, Spawner, Unwrap, YieldNow};
use crate::net::{self, NetExecutor, SmolListener, SmolStream};
use crate::workload::{Measurement, Workload};

/// tokio's multi-thread runtime with `worker_threads(N)`.
///
/// Two instances share the name `tokio`: [`Tokio::new`] without the I/O
/// driver runs the scheduling workloads (as it always has), and
/// [`Tokio::with_io`] (`enable_io()`, as `#[tokio::main]` has it) runs the
/// network ones. An idle worker of the second parks in epoll, which costs a
/// little more to wake than the condition variable of the first.
#[derive(Debug)]
pub struct Tokio {
    rt: tokio::runtime::Runtime,
    workers: usize,
    io: bool,
}

impl Tokio {
    /// tokio with `worker_threads(workers)`, `enable_io()` and `enable_time()`:
    /// the instance that runs the `http` workload (hyper's `TokioTimer` needs
    /// the time driver).
    pub fn with_io_and_time(workers: usize) -> Tokio {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("tokio-http-worker")
            .enable_io()
            .enable_time()
            .build()
            .expect("cannot build the tokio runtime");
        Tokio {
            rt,
            workers,
            io: true,
        }
    }

    /// tokio with `worker_threads(workers)` and `enable_io()`: the instance
    /// that runs the network workloads.
    pub fn with_io(workers: usize) -> Tokio {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("tokio-io-worker")
            .enable_io()
            .build()
            .expect("cannot build the tokio runtime");
        Tokio {
            rt,
            workers,
            io: true,
        }
    }
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
        Tokio {
            rt,
            workers,
            io: false,
        }
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

    fn runs(&self, workload: Workload) -> bool {
        workload.is_net() == self.io
    }

    fn measure_net(&self, workload: Workload, iters: u64) -> Measurement {
        assert!(
            self.io,
            "the tokio instance without I/O ran {}",
            workload.name()
        );
        net::measure(self, workload, iters)
    }
}

impl NetExecutor for Tokio {
    type Listener = tokio::net::TcpListener;
    type Stream = tokio::net::TcpStream;

    fn bind(addr: SocketAddr) -> impl Future<Output = io::Result<tokio::net::TcpListener>> + Send {
        tokio::net::TcpListener::bind(addr)
    }

    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<tokio::net::TcpStream>> + Send {
        tokio::net::TcpStream::connect(addr)
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

impl AsyncExecutor {
    /// `workers` threads named `{name}-{i}`, each running `block_on(ex.run(shutdown))`
    /// with the given `block_on`.
    fn start(workers: usize, name: &str, block_on: fn(ExecutorRun) -> ()) -> AsyncExecutor {
        let ex = Arc::new(async_executor::Executor::new());
        let mut shutdown = Vec::with_capacity(workers);
        let mut threads = Vec::with_capacity(workers);
        for i in 0..workers {
            let (tx, rx) = oneshot::channel::<()>();
            let ex = Arc::clone(&ex);
            let thread = thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || {
                    // Ends (with `Err(Canceled)`) when the sender is dropped.
                    block_on(Box::pin(async move {
                        let _ = ex.run(rx).await;
                    }));
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
}

/// What each executor thread blocks on: its `ex.run(shutdown)`.
type ExecutorRun = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

impl Executor for AsyncExecutor {
    const NAME: &'static str = "async-executor";
    type Spawner = AsyncExecutorSpawner;

    fn new(workers: usize) -> Self {
        AsyncExecutor::start(workers, "async-executor", |run| {
            futures::executor::block_on(run)
        })
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

/// smol: an `async_executor::Executor` run by N threads that each block on
/// `ex.run(..)` with `async_io::block_on`, as smol's own executor threads do,
/// so that an idle executor thread waits in async-io's reactor (epoll) and
/// processes its events; sockets are `async_io::Async<std::net::TcpStream>`.
/// Runs the network workloads only (the scheduling ones are the
/// `async-executor` column). The main thread blocks with
/// `futures::executor::block_on`, so it never takes the reactor: only the
/// executor threads drive it, like the workers of ours and tokio.
#[derive(Debug)]
pub struct Smol(AsyncExecutor);

impl Executor for Smol {
    const NAME: &'static str = "smol";
    type Spawner = AsyncExecutorSpawner;

    fn new(workers: usize) -> Self {
        Smol(AsyncExecutor::start(workers, "smol", async_io::block_on))
    }

    fn workers(&self) -> usize {
        self.0.workers
    }

    fn spawner(&self) -> AsyncExecutorSpawner {
        self.0.spawner()
    }

    fn spawn<F>(&self, fut: F) -> async_executor::Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.0.spawn(fut)
    }

    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        futures::executor::block_on(fut)
    }

    fn runs(&self, workload: Workload) -> bool {
        workload.is_net()
    }

    fn measure_net(&self, workload: Workload, iters: u64) -> Measurement {
        net::measure(self, workload, iters)
    }
}

impl NetExecutor for Smol {
    type Listener = SmolListener;
    type Stream = SmolStream;

    async fn bind(addr: SocketAddr) -> io::Result<SmolListener> {
        SmolListener::bind(addr)
    }

    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<SmolStream>> + Send {
        SmolStream::connect(addr)
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
