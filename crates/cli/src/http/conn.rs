//! Accepting and serving HTTP connections, each with a bound on how long it may idle.
//!
//! `axum::serve` sets no timer on hyper, so a client that opens a connection and
//! sends nothing (or a header a byte a minute) would hold one of the
//! [`CONNECTIONS`] slots forever. Here hyper gets a timer and a header read
//! timeout (which also ends idle keep-alive connections), and each connection an
//! idle timeout on the socket itself: no byte read or written for [`IDLE`] ends it,
//! which covers a stalled request body and a client that stops reading a response.
//! Live alert streams send a keep-alive comment every 15 s, so they stay up.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};

/// Connections served at once; more wait to be accepted.
const CONNECTIONS: usize = 128;
/// Longest time for a request's head to arrive, and for a kept-alive connection to idle.
const HEADER_READ: Duration = Duration::from_secs(20);
/// Longest time a connection may go without reading or writing a byte.
const IDLE: Duration = Duration::from_secs(60);
/// How long requests in flight may take to finish once the server stops.
const DRAIN: Duration = Duration::from_secs(4);

/// Serves `app` on `listener` until `stop` turns true, then lets connections drain.
pub(super) async fn serve(listener: TcpListener, app: Router, mut stop: watch::Receiver<bool>) {
    serve_with(listener, app, &mut stop, IDLE, HEADER_READ).await;
}

async fn serve_with(
    listener: TcpListener,
    app: Router,
    stop: &mut watch::Receiver<bool>,
    idle: Duration,
    header_read: Duration,
) {
    let slots = Arc::new(Semaphore::new(CONNECTIONS));
    let mut conns = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            accepted = accept(&listener, &slots) => accepted,
        };
        // Reap finished connections so the set stays as small as the slots.
        while conns.try_join_next().is_some() {}
        let (stream, slot) = accepted;
        let conn = Conn::new(stream, slot, idle);
        let service = TowerToHyperService::new(app.clone());
        let mut stop = stop.clone();
        conns.spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_read);
            let served = builder.serve_connection(TokioIo::new(conn), service);
            tokio::pin!(served);
            tokio::select! {
                result = served.as_mut() => return log_end(result),
                _ = stop.wait_for(|s| *s) => served.as_mut().graceful_shutdown(),
            }
            log_end(served.await);
        });
    }
    drop(listener);
    let drained = tokio::time::timeout(DRAIN, async { while conns.join_next().await.is_some() {} });
    if drained.await.is_err() {
        conns.abort_all();
    }
}

fn log_end(result: Result<(), hyper::Error>) {
    if let Err(e) = result {
        tracing::debug!(%e, "an HTTP connection ended with an error");
    }
}

/// The next connection, once a slot is free.
async fn accept(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
) -> (TcpStream, OwnedSemaphorePermit) {
    let Ok(slot) = slots.clone().acquire_owned().await else {
        // The semaphore is never closed; wait forever rather than spin.
        return std::future::pending().await;
    };
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                return (stream, slot);
            }
            // Out of file descriptors and the like: back off a little.
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// A connection that holds its slot until it closes, and fails once idle too long.
struct Conn {
    stream: TcpStream,
    _slot: OwnedSemaphorePermit,
    idle: Duration,
    /// Fires [`IDLE`] after the last byte moved either way.
    deadline: Pin<Box<Sleep>>,
}

impl Conn {
    fn new(stream: TcpStream, slot: OwnedSemaphorePermit, idle: Duration) -> Conn {
        Conn {
            stream,
            _slot: slot,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
        }
    }

    /// Bytes moved: the connection is busy, push the deadline back.
    fn moved(&mut self) {
        let next = Instant::now() + self.idle;
        self.deadline.as_mut().reset(next);
    }

    /// Waiting on the socket: an error once the deadline has passed.
    fn check_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        ready!(self.deadline.as_mut().poll(cx));
        Poll::Ready(io::Error::new(
            io::ErrorKind::TimedOut,
            "the connection was idle too long",
        ))
    }

    /// The outcome of a socket call that moved `n` bytes (or did not).
    fn after<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
        n: impl FnOnce(&T) -> usize,
    ) -> Poll<io::Result<T>> {
        match polled {
            Poll::Ready(Ok(v)) => {
                if n(&v) > 0 {
                    self.moved();
                }
                Poll::Ready(Ok(v))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => self.check_idle(cx).map(Err),
        }
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        this.after(cx, polled, |_| n)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.after(cx, polled, |n| *n)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        this.after(cx, polled, |n| *n)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_flush(cx);
        this.after(cx, polled, |_| 0)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server on a loopback port with short timeouts; returns its address and stopper.
    async fn server(
        idle: Duration,
        header_read: Duration,
    ) -> (std::net::SocketAddr, watch::Sender<bool>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route("/", axum::routing::get(|| async { "hello" }));
        let (stop, mut stopped) = watch::channel(false);
        tokio::spawn(
            async move { serve_with(listener, app, &mut stopped, idle, header_read).await },
        );
        (addr, stop)
    }

    /// Reads until the server closes the connection, bounded in time.
    async fn until_closed(stream: &mut TcpStream) -> Option<Vec<u8>> {
        let mut got = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut got))
            .await
            .ok()
            .map(|_| got)
    }

    #[tokio::test]
    async fn a_silent_connection_is_closed() {
        let (addr, _stop) = server(Duration::from_millis(300), Duration::from_secs(30)).await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        assert!(until_closed(&mut stream).await.is_some(), "still open");
    }

    #[tokio::test]
    async fn a_header_sent_a_byte_at_a_time_is_cut_off() {
        let (addr, _stop) = server(Duration::from_secs(30), Duration::from_millis(400)).await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        // Each byte arrives well within the idle bound, but the head never completes.
        for byte in b"GET / HTTP/1.1\r\nHost: x\r\n".iter().take(12) {
            if stream.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let got = until_closed(&mut stream).await.expect("still open");
        assert!(!String::from_utf8_lossy(&got).contains("hello"));
    }

    #[tokio::test]
    async fn a_prompt_client_is_served_and_the_server_stops() {
        let (addr, stop) = server(Duration::from_secs(5), Duration::from_secs(5)).await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let got = until_closed(&mut stream).await.expect("still open");
        let text = String::from_utf8_lossy(&got);
        assert!(
            text.starts_with("HTTP/1.1 200") && text.ends_with("hello"),
            "{text}"
        );
        stop.send(true).unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(TcpStream::connect(addr).await.is_err(), "still listening");
    }
}
