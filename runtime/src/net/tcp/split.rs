//! `TcpStream::into_split`: two owned halves sharing the stream through an `Arc`.

use std::io;
use std::net::SocketAddr;

use super::stream::TcpStream;
use crate::net::split::owned_halves;

owned_halves! {
    stream: TcpStream,
    addr: SocketAddr,
    /// The read half of a [`TcpStream`], from [`TcpStream::into_split`].
    ///
    /// Implements [`AsyncRead`](crate::io::AsyncRead); [`reunite`](Self::reunite) with
    /// its write half gives the stream back.
    ///
    /// # Examples
    ///
    /// ```
    /// use runtime::io::{AsyncReadExt, AsyncWriteExt};
    /// use runtime::net::{TcpListener, TcpStream};
    ///
    /// runtime::Runtime::new()?.block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut peer, _) = listener.accept().await?;
    ///     let (mut read, _write) = stream.into_split();
    ///     peer.write_all(b"half").await?;
    ///     let mut buf = [0; 4];
    ///     read.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"half");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    read: OwnedReadHalf {
        /// [`TcpStream::peek`].
        ///
        /// # Errors
        ///
        /// The OS's error; `Other` if the runtime has shut down.
        pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
            self.inner.peek(buf).await
        }
    },
    /// The write half of a [`TcpStream`], from [`TcpStream::into_split`].
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
    /// use runtime::net::{TcpListener, TcpStream};
    ///
    /// runtime::Runtime::new()?.block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut peer, _) = listener.accept().await?;
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
    /// use runtime::net::{TcpListener, TcpStream};
    ///
    /// runtime::Runtime::new()?.block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let a = TcpStream::connect(listener.local_addr()?).await?;
    ///     let b = TcpStream::connect(listener.local_addr()?).await?;
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
