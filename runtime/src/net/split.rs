//! The owned halves of a stream, written once for `TcpStream` and `UnixStream`:
//! [`owned_halves!`] stamps `OwnedReadHalf`, `OwnedWriteHalf` and `ReuniteError` into
//! `tcp` and `unix`, each with the type docs (and examples) its module passes in.

/// The message of both `ReuniteError`s.
pub(crate) const REUNITE_MESSAGE: &str =
    "tried to reunite halves that are not from the same socket";

/// Defines, in the calling module, the owned halves of `$stream` (whose addresses
/// are `$addr`): `OwnedReadHalf`, `OwnedWriteHalf` and `ReuniteError` with their
/// methods (the read half's `$read_extra` methods last), `Drop` (the write half shuts
/// down the write side), `AsRef<$stream>` and
/// [`StreamIo`](crate::net::stream_io::StreamIo), and `split`, which
/// `$stream::into_split` calls. The `AsyncRead`/`AsyncWrite` impls are in
/// `stream_io.rs` and compat/, with the stream's.
macro_rules! owned_halves {
    (
        stream: $stream:ident,
        addr: $addr:ty,
        $(#[$read_doc:meta])*
        read: OwnedReadHalf { $($read_extra:item)* },
        $(#[$write_doc:meta])*
        write: OwnedWriteHalf,
        $(#[$error_doc:meta])*
        error: ReuniteError,
    ) => {
        $(#[$read_doc])*
        #[derive(Debug)]
        pub struct OwnedReadHalf {
            inner: std::sync::Arc<$stream>,
        }

        $(#[$write_doc])*
        #[derive(Debug)]
        pub struct OwnedWriteHalf {
            inner: std::sync::Arc<$stream>,
            shutdown_on_drop: bool,
        }

        $(#[$error_doc])*
        #[derive(Debug)]
        pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

        impl std::fmt::Display for ReuniteError {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::net::split::REUNITE_MESSAGE)
            }
        }

        impl std::error::Error for ReuniteError {}

        pub(super) fn split(stream: $stream) -> (OwnedReadHalf, OwnedWriteHalf) {
            let inner = std::sync::Arc::new(stream);
            let read = OwnedReadHalf {
                inner: inner.clone(),
            };
            let write = OwnedWriteHalf {
                inner,
                shutdown_on_drop: true,
            };
            (read, write)
        }

        impl OwnedReadHalf {
            /// Puts the stream back together.
            ///
            /// # Errors
            ///
            /// [`ReuniteError`] (with both halves) if `other` is the write half of another
            /// stream.
            pub fn reunite(self, other: OwnedWriteHalf) -> Result<$stream, ReuniteError> {
                if !std::sync::Arc::ptr_eq(&self.inner, &other.inner) {
                    return Err(ReuniteError(self, other));
                }
                let mut other = other;
                other.shutdown_on_drop = false;
                drop(other);
                Ok(std::sync::Arc::try_unwrap(self.inner)
                    .expect("the two halves held the only references"))
            }

            /// The local address of the stream.
            pub fn local_addr(&self) -> std::io::Result<$addr> {
                self.inner.local_addr()
            }

            /// The remote address of the stream.
            pub fn peer_addr(&self) -> std::io::Result<$addr> {
                self.inner.peer_addr()
            }

            #[doc = concat!("[`", stringify!($stream), "::readable`].")]
            ///
            /// # Errors
            ///
            /// `Other` if the runtime has shut down.
            pub async fn readable(&self) -> std::io::Result<()> {
                self.inner.readable().await
            }

            #[doc = concat!("[`", stringify!($stream), "::ready`].")]
            ///
            /// # Errors
            ///
            /// `Other` if the runtime has shut down.
            pub async fn ready(
                &self,
                interest: $crate::io::Interest,
            ) -> std::io::Result<$crate::io::Ready> {
                self.inner.ready(interest).await
            }

            #[doc = concat!("[`", stringify!($stream), "::try_read`].")]
            ///
            /// # Errors
            ///
            /// `WouldBlock` if nothing is available; the OS's error otherwise.
            pub fn try_read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.inner.try_read(buf)
            }

            #[doc = concat!("[`", stringify!($stream), "::try_read_vectored`].")]
            ///
            /// # Errors
            ///
            /// `WouldBlock` if nothing is available; the OS's error otherwise.
            pub fn try_read_vectored(
                &self,
                bufs: &mut [std::io::IoSliceMut<'_>],
            ) -> std::io::Result<usize> {
                self.inner.try_read_vectored(bufs)
            }

            $($read_extra)*
        }

        impl OwnedWriteHalf {
            /// Puts the stream back together (see [`OwnedReadHalf::reunite`]).
            ///
            /// # Errors
            ///
            /// [`ReuniteError`] if `other` is the read half of another stream.
            pub fn reunite(self, other: OwnedReadHalf) -> Result<$stream, ReuniteError> {
                other.reunite(self)
            }

            /// Drops the half without shutting down the write side.
            pub fn forget(mut self) {
                self.shutdown_on_drop = false;
            }

            /// The local address of the stream.
            pub fn local_addr(&self) -> std::io::Result<$addr> {
                self.inner.local_addr()
            }

            /// The remote address of the stream.
            pub fn peer_addr(&self) -> std::io::Result<$addr> {
                self.inner.peer_addr()
            }

            #[doc = concat!("[`", stringify!($stream), "::writable`].")]
            ///
            /// # Errors
            ///
            /// `Other` if the runtime has shut down.
            pub async fn writable(&self) -> std::io::Result<()> {
                self.inner.writable().await
            }

            #[doc = concat!("[`", stringify!($stream), "::ready`].")]
            ///
            /// # Errors
            ///
            /// `Other` if the runtime has shut down.
            pub async fn ready(
                &self,
                interest: $crate::io::Interest,
            ) -> std::io::Result<$crate::io::Ready> {
                self.inner.ready(interest).await
            }

            #[doc = concat!("[`", stringify!($stream), "::try_write`].")]
            ///
            /// # Errors
            ///
            /// `WouldBlock` if the send buffer is full; the OS's error otherwise.
            pub fn try_write(&self, buf: &[u8]) -> std::io::Result<usize> {
                self.inner.try_write(buf)
            }

            #[doc = concat!("[`", stringify!($stream), "::try_write_vectored`].")]
            ///
            /// # Errors
            ///
            /// `WouldBlock` if the send buffer is full; the OS's error otherwise.
            pub fn try_write_vectored(
                &self,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::io::Result<usize> {
                self.inner.try_write_vectored(bufs)
            }
        }

        impl Drop for OwnedWriteHalf {
            fn drop(&mut self) {
                if self.shutdown_on_drop {
                    // Best effort, as a drop must be: the peer may be gone already.
                    let _ = self.inner.shutdown(std::net::Shutdown::Write);
                }
            }
        }

        $crate::net::split::owned_halves!(@half OwnedReadHalf, $stream);
        $crate::net::split::owned_halves!(@half OwnedWriteHalf, $stream);
    };

    // What the two halves share besides their methods: the stream behind them.
    (@half $half:ident, $stream:ident) => {
        impl AsRef<$stream> for $half {
            fn as_ref(&self) -> &$stream {
                &self.inner
            }
        }

        impl $crate::net::stream_io::StreamIo for $half {
            type Source = <$stream as $crate::net::stream_io::StreamIo>::Source;

            fn poll_evented(&self) -> &$crate::io::PollEvented<Self::Source> {
                $crate::net::stream_io::StreamIo::poll_evented(&*self.inner)
            }

            fn shutdown(&self, how: std::net::Shutdown) -> std::io::Result<()> {
                self.inner.shutdown(how)
            }
        }
    };
}

pub(crate) use owned_halves;
