//! The syscalls under the reactor: mio's `Poll`, `Registry` and `Waker` (epoll and
//! an eventfd on Linux), or, under loom, a model of them with the same shape.
//!
//! `Selector::select` fills a list of `(token, Ready)` and returns on an event, on
//! `Waker::wake` (called from any thread, before or during the wait: an eventfd write
//! that no wait has consumed yet makes the next wait return at once), or at the
//! timeout. The loom model keeps exactly these guarantees with a mutex and a
//! condition variable, and has no clock: a wait with a timeout does not block.

/// The token of the reactor's waker; no registration's token (io/slab.rs).
pub(crate) const WAKE_TOKEN: usize = usize::MAX;

#[cfg(not(loom))]
mod imp {
    use std::io;
    use std::time::Duration;

    use super::WAKE_TOKEN;
    use crate::io::Ready;

    pub(crate) struct Selector {
        poll: mio::Poll,
        events: mio::Events,
    }

    pub(crate) type Registry = mio::Registry;
    pub(crate) type Waker = mio::Waker;

    /// Events taken per `epoll_wait`: the rest stay queued in the kernel for the
    /// next turn.
    const EVENTS: usize = 1024;

    impl Selector {
        pub(crate) fn new() -> io::Result<(Selector, Registry, Waker)> {
            let poll = mio::Poll::new()?;
            let registry = poll.registry().try_clone()?;
            let waker = mio::Waker::new(poll.registry(), mio::Token(WAKE_TOKEN))?;
            Ok((
                Selector {
                    poll,
                    events: mio::Events::with_capacity(EVENTS),
                },
                registry,
                waker,
            ))
        }

        /// One `epoll_wait`; an interrupted wait returns no events.
        pub(crate) fn select(
            &mut self,
            out: &mut Vec<(usize, Ready)>,
            timeout: Option<Duration>,
        ) -> io::Result<()> {
            match self.poll.poll(&mut self.events, timeout) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
                Err(e) => return Err(e),
            }
            for event in self.events.iter() {
                let token = event.token().0;
                if token != WAKE_TOKEN {
                    out.push((token, Ready::from_mio(event)));
                }
            }
            Ok(())
        }
    }
}

#[cfg(loom)]
mod imp {
    use std::io;
    use std::time::Duration;

    use crate::io::Ready;
    use crate::sync::{Arc, Condvar, Mutex};

    #[derive(Default)]
    struct State {
        woken: bool,
        ready: Vec<(usize, Ready)>,
    }

    #[derive(Default)]
    struct Shared {
        state: Mutex<State>,
        cvar: Condvar,
    }

    /// The model of epoll: a list of pending events and a wake flag.
    pub(crate) struct Selector(Arc<Shared>);
    /// The model's registry: hands out sources that a model makes ready.
    pub(crate) struct Registry(Arc<Shared>);
    /// The model's eventfd.
    pub(crate) struct Waker(Arc<Shared>);

    /// A registered fake resource: `make_ready` is the model's "data arrived".
    #[derive(Clone)]
    pub(crate) struct ModelSource {
        shared: Arc<Shared>,
        token: usize,
    }

    impl ModelSource {
        pub(crate) fn make_ready(&self, ready: Ready) {
            let mut state = self.shared.state.lock();
            state.ready.push((self.token, ready));
            drop(state);
            self.shared.cvar.notify_all();
        }
    }

    impl Registry {
        pub(crate) fn register_model(&self, token: usize) -> ModelSource {
            ModelSource {
                shared: self.0.clone(),
                token,
            }
        }
    }

    impl Waker {
        pub(crate) fn wake(&self) -> io::Result<()> {
            self.0.state.lock().woken = true;
            self.0.cvar.notify_all();
            Ok(())
        }
    }

    impl Selector {
        pub(crate) fn new() -> io::Result<(Selector, Registry, Waker)> {
            let shared = Arc::new(Shared::default());
            Ok((
                Selector(shared.clone()),
                Registry(shared.clone()),
                Waker(shared),
            ))
        }

        pub(crate) fn select(
            &mut self,
            out: &mut Vec<(usize, Ready)>,
            timeout: Option<Duration>,
        ) -> io::Result<()> {
            let mut state = self.0.state.lock();
            if timeout.is_none() {
                while !state.woken && state.ready.is_empty() {
                    self.0.cvar.wait(&mut state);
                }
            }
            state.woken = false;
            out.append(&mut state.ready);
            Ok(())
        }
    }
}

pub(crate) use self::imp::*;
