//! The adapter for our runtime: `runtime::Builder::new().worker_threads(N)`,
//! `Runtime::spawn` from outside, the free `runtime::spawn` and
//! `runtime::yield_now` inside tasks; `runtime::net` for the network
//! workloads (its reactor is always on: one instance runs every workload).

use std::future::Future;

use crate::exec::{Executor, Spawner, Unwrap};
// ab.sh: net begin
use std::io;
use std::net::SocketAddr;

use crate::net::{self, NetExecutor, NetListener, NetStream};
use crate::workload::{Measurement, Workload};
// ab.sh: net end

/// Our runtime with `worker_threads(N)`.
#[derive(Debug)]
pub struct Ours {
    rt: runtime::Runtime,
    workers: usize,
}

/// Spawns with `runtime::spawn` (the current runtime, found in a
/// thread-local).
#[derive(Debug, Clone, Copy)]
pub struct OursSpawner;

impl Spawner for OursSpawner {
    type Handle<T: Send + 'static> = Unwrap<runtime::JoinHandle<T>>;

    fn spawn<F>(&self, fut: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Unwrap(runtime::spawn(fut))
    }

    fn spawn_detached<F>(&self, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // Dropping a JoinHandle detaches the task; it keeps running.
        drop(runtime::spawn(fut));
    }

    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        runtime::yield_now()
    }
}

impl Executor for Ours {
    const NAME: &'static str = "ours";
    const OURS: bool = true;
    type Spawner = OursSpawner;

    fn new(workers: usize) -> Self {
        let rt = runtime::Builder::new()
            .worker_threads(workers)
            .thread_name("ours-worker")
            .build()
            .expect("cannot build our runtime");
        Ours { rt, workers }
    }

    fn workers(&self) -> usize {
        self.workers
    }

    fn spawner(&self) -> OursSpawner {
        OursSpawner
    }

    fn spawn<F>(&self, fut: F) -> Unwrap<runtime::JoinHandle<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Unwrap(self.rt.spawn(fut))
    }

    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        self.rt.block_on(fut)
    }

    fn counters(&self) -> Vec<(&'static str, u64)> {
        let m = self.rt.metrics();
        let workers = (0..m.workers()).map(|i| m.worker(i));
        let (mut steals, mut steal_attempts, mut parks) = (0, 0, 0);
        for w in workers {
            steals += w.steals();
            steal_attempts += w.steal_attempts();
            parks += w.parks();
        }
        vec![
            ("spawned", m.spawned()),
            ("injected", m.injected()),
            ("polls", m.polls()),
            ("steals", steals),
            ("steal_attempts", steal_attempts),
            ("parks", parks),
        ]
    }
    // ab.sh: net begin

    fn runs(&self, _workload: Workload) -> bool {
        true
    }

    fn measure_net(&self, workload: Workload, iters: u64) -> Measurement {
        net::measure(self, workload, iters)
    }
    // ab.sh: net end
}
// ab.sh: net begin

impl NetExecutor for Ours {
    type Listener = runtime::net::TcpListener;
    type Stream = runtime::net::TcpStream;

    fn bind(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Listener>> + Send {
        runtime::net::TcpListener::bind(addr)
    }

    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Stream>> + Send {
        runtime::net::TcpStream::connect(addr)
    }
}

impl NetStream for runtime::net::TcpStream {
    fn read<'a>(
        &'a mut self,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a {
        runtime::io::AsyncReadExt::read(self, buf)
    }

    fn write_all<'a>(
        &'a mut self,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a {
        runtime::io::AsyncWriteExt::write_all(self, buf)
    }

    fn set_nodelay(&self) -> io::Result<()> {
        runtime::net::TcpStream::set_nodelay(self, true)
    }
}

impl NetListener for runtime::net::TcpListener {
    type Stream = runtime::net::TcpStream;

    fn local_addr(&self) -> io::Result<SocketAddr> {
        runtime::net::TcpListener::local_addr(self)
    }

    async fn accept(&self) -> io::Result<runtime::net::TcpStream> {
        runtime::net::TcpListener::accept(self)
            .await
            .map(|(s, _)| s)
    }
}
// ab.sh: net end
