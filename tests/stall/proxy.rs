//! The proxies on 127.0.0.1 that the stall tests put between pgvet and its server: one that
//! stalls (forwards nothing more once a marker passes), one that answers late, and one that also
//! drops every new connection attempt, as a black-holing firewall does.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::Notify;

/// Once a client sends these bytes, the proxy forwards nothing more, either way, and keeps
/// both connections open.
pub const MARKER: &[u8] = b"pgvet_stall_here";

/// Listens on 127.0.0.1 and forwards to `port` until `marker` passes on a connection; returns
/// its port, and what is notified when a connection stalls.
pub async fn stalling_proxy(port: u16, marker: &'static [u8]) -> (u16, Arc<Notify>) {
    proxy(port, marker, Duration::ZERO).await
}

/// Forwards to `port`, each reply of the server `delay` late (a slow network); stalls at
/// `marker` like [`stalling_proxy`].
pub async fn proxy(port: u16, marker: &'static [u8], delay: Duration) -> (u16, Arc<Notify>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let local = listener.local_addr().unwrap().port();
    let notify = Arc::new(Notify::new());
    let stalls = notify.clone();
    tokio::spawn(async move {
        // Bounded: the test opens one connection (and a cancel request at most).
        for _ in 0..4 {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let server = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            let stalled = Arc::new(AtomicBool::new(false));
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            let watch = Some((marker, stalls.clone()));
            tokio::spawn(forward(
                client_read,
                server_write,
                stalled.clone(),
                watch,
                Duration::ZERO,
            ));
            tokio::spawn(forward(server_read, client_write, stalled, None, delay));
        }
    });
    (local, notify)
}

async fn forward(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    stalled: Arc<AtomicBool>,
    watch: Option<(&'static [u8], Arc<Notify>)>,
    delay: Duration,
) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if let Some((marker, notify)) = &watch
            && buffer[..n].windows(marker.len()).any(|w| w == *marker)
        {
            stalled.store(true, Ordering::SeqCst);
            notify.notify_one();
        }
        if stalled.load(Ordering::SeqCst) {
            // Both halves stay open: the peer's bytes are acknowledged by TCP but never
            // answered (keepalives are answered too, so only a deadline can tell).
            tokio::time::sleep(Duration::from_secs(120)).await;
            return;
        }
        tokio::time::sleep(delay).await;
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}

/// Forwards one connection to `port` until [`MARKER`] passes (then notifies and stalls), and
/// from then on drops every new connection attempt unanswered, as a black-holing firewall does:
/// its accept queue (of one) is kept full, so the kernel ignores further SYNs.
pub async fn black_holing_proxy(port: u16) -> (u16, Arc<Notify>) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let local = socket.local_addr().unwrap().port();
    let listener = socket.listen(0).unwrap();
    let notify = Arc::new(Notify::new());
    let stalls = notify.clone();
    tokio::spawn(async move {
        let (client, _) = listener.accept().await.unwrap();
        let server = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let stalled = Arc::new(AtomicBool::new(false));
        let (client_read, client_write) = client.into_split();
        let (server_read, server_write) = server.into_split();
        let watch = Some((MARKER, stalls));
        tokio::spawn(forward(
            client_read,
            server_write,
            stalled.clone(),
            watch,
            Duration::ZERO,
        ));
        tokio::spawn(forward(
            server_read,
            client_write,
            stalled,
            None,
            Duration::ZERO,
        ));
        for _ in 0..4 {
            tokio::spawn(TcpStream::connect(("127.0.0.1", local)));
        }
        tokio::time::sleep(Duration::from_secs(120)).await;
        drop(listener);
    });
    (local, notify)
}
