//! An echo server and a swarm of clients in one program, on the runtime's own
//! sockets (`runtime::net`).
//!
//! The server accepts each connection on a `TcpListener` and gives it a task of its
//! own, which splits the stream into owned halves (`into_split`) and copies what it
//! reads back to the writer until the client closes its side. Each client connects,
//! then for about two seconds writes a 64-byte message, reads the echo back with
//! `read_exact` and checks it byte for byte (the messages name their client and
//! sequence number, so an echo delivered to the wrong client or out of order fails
//! the check), then half-closes with `shutdown(Write)`: the server's read sees end of
//! stream, its task ends, and the client reads 0 after the last echo. The program
//! prints how many messages per second made the round trip, and checks that the
//! server echoed exactly the bytes the clients sent.
//!
//! Every socket is driven by the runtime's reactor: the workers poll epoll between
//! tasks, and an idle worker waits in it, so no thread exists only for I/O. Each
//! client waits on its own socket while the others run; 64 connections need no more
//! threads than the runtime's workers.
//!
//! The I/O methods are `futures-io`'s traits with `futures-util`'s extension methods
//! (`read`, `read_exact`, `write_all`), re-exported as `runtime::io`, so code written
//! against them runs on any runtime.
//!
//! ```text
//! $ cargo run --release --example echo
//! echo server on 127.0.0.1:40391
//! 64 clients, 612345 messages of 64 B in 2.00 s: 306172 messages/s
//! server echoed 39190080 bytes, as many as the clients sent
//! ```

use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant};

use runtime::io::{AsyncReadExt, AsyncWriteExt};
use runtime::net::{TcpListener, TcpStream};

/// Clients, each with one connection.
const CLIENTS: usize = 64;
/// Bytes per message.
const MESSAGE: usize = 64;
/// How long the clients keep sending.
const RUN_FOR: Duration = Duration::from_secs(2);

/// Accepts `clients` connections, echoes each on its own task until the client
/// half-closes it, and returns the number of bytes echoed in all.
async fn server(listener: TcpListener, clients: usize) -> std::io::Result<u64> {
    let mut connections = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (stream, _peer) = listener.accept().await?;
        stream.set_nodelay(true)?;
        connections.push(runtime::spawn(echo(stream)));
    }
    let mut echoed = 0;
    for connection in connections {
        echoed += connection.await.expect("an echo task panicked")?;
    }
    Ok(echoed)
}

/// Copies everything read from the stream back to it, until end of stream.
async fn echo(stream: TcpStream) -> std::io::Result<u64> {
    let (mut reader, mut writer) = stream.into_split();
    let mut buf = [0u8; 4096];
    let mut echoed = 0;
    loop {
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            return Ok(echoed);
        }
        writer.write_all(&buf[..n]).await?;
        echoed += n as u64;
    }
}

/// Sends messages one at a time until `until`, checking every echo; returns how
/// many made the round trip.
async fn client(addr: SocketAddr, id: u64, until: Instant) -> std::io::Result<u64> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let mut message = [0u8; MESSAGE];
    let mut back = [0u8; MESSAGE];
    let mut sent = 0u64;
    while Instant::now() < until {
        message[..8].copy_from_slice(&id.to_le_bytes());
        message[8..16].copy_from_slice(&sent.to_le_bytes());
        message[16..].fill((id + sent) as u8);
        stream.write_all(&message).await?;
        stream.read_exact(&mut back).await?;
        assert_eq!(
            back, message,
            "client {id}: echo {sent} is not what was sent"
        );
        sent += 1;
    }
    // Half-close: the server reads end of stream and ends, and so do we.
    stream.shutdown(Shutdown::Write)?;
    assert_eq!(
        stream.read(&mut back).await?,
        0,
        "client {id}: bytes after the last echo"
    );
    Ok(sent)
}

#[runtime::main]
async fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    println!("echo server on {addr}");
    let server = runtime::spawn(server(listener, CLIENTS));

    let start = Instant::now();
    let until = start + RUN_FOR;
    let clients: Vec<_> = (0..CLIENTS as u64)
        .map(|id| runtime::spawn(client(addr, id, until)))
        .collect();
    let mut messages = 0;
    for client in clients {
        let sent = client.await.expect("a client panicked")?;
        assert!(sent > 0, "a client got no echo at all");
        messages += sent;
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{CLIENTS} clients, {messages} messages of {MESSAGE} B in {elapsed:.2} s: {:.0} messages/s",
        messages as f64 / elapsed
    );

    let echoed = server.await.expect("the server panicked")?;
    assert_eq!(
        echoed,
        messages * MESSAGE as u64,
        "the server echoed a different number of bytes"
    );
    println!("server echoed {echoed} bytes, as many as the clients sent");
    Ok(())
}
