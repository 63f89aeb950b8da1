//! `UnixStream::into_split`: two owned halves sharing the stream through an `Arc`.

use std::os::unix::net::SocketAddr;

use super::stream::UnixStream;
use crate::net::split::owned_halves;

owned_halves! {
    stream: UnixStream,
    addr: SocketAddr,
    /// The read half of a [`UnixStream`], from [`UnixStream::into_split`].
    ///
    /// Implements [`AsyncRead`](crate::io::AsyncRead); [`reunite`](Self::reunite) with
    /// its write half gives the stream back.
    ///
    /// # Examples
    ///
    /// ```
    /// use runtime::io::{AsyncReadExt, AsyncWriteExt};
    /// use runtime::net::UnixStream;
    ///
    /// runtime::Runtime::new()?.block_on(async {
    ///     let (stream, mut peer) = UnixStream::pair()?;
    ///     let (mut read, _write) = stream.into_split();
    ///     peer.write_all(b"half").await?;
    ///     let mut buf = [0; 4];
    ///     read.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"half");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    read: OwnedReadHalf {},
    /// The write half of a [`UnixStream`], from [`UnixStream::into_split`].
    ///
    /// Implements [`AsyncWrite`](crate::io::AsyncWrite). Dropping it shuts down the
    /// write side of the stream (the peer reads end of stream), like tokio's;
    /// [`forget`](Self::forget) drops it without. The socket itself closes once both
    /// halves are gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use runtime::io::{AsyncReadExt, AsyncWriteExt};
    /// use runtime::net::UnixStream;
    ///
    /// runtime::Runtime::new()?.block_on(async {
    ///     let (stream, mut peer) = UnixStream::pair()?;
    ///     let (_read, mut write) = stream.into_split();
    ///     write.write_all(b"bye").await?;
    ///     drop(write); // shuts down the write side
    ///     let mut all = Vec::new();
    ///     peer.read_to_end(&mut all).await?;
    ///     assert_eq!(all, b"bye");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    write: OwnedWriteHalf,
    /// The error of [`OwnedReadHalf::reunite`]: the two halves came from different
    /// streams. Both are handed back.
    ///
    /// # Examples
    ///
    /// ```
    /// use runtime::net::UnixStream;
    ///
    /// runtime::Runtime::new()?.block_on(async {
    ///     let (a, b) = UnixStream::pair()?;
    ///     let (a_read, _a_write) = a.into_split();
    ///     let (_b_read, b_write) = b.into_split();
    ///     let err = a_read.reunite(b_write).unwrap_err();
    ///     let (_a_read, _b_write) = (err.0, err.1);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    error: ReuniteError,
}
