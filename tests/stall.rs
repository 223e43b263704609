//! A network that stalls after the connection is up (a proxy that stops forwarding, as a
//! black-holing firewall does): pgvet must end the run as a lost connection, with the report
//! saved, instead of waiting forever. The proxy runs on 127.0.0.1 in front of a throwaway
//! server of this test's own.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use pgvet::ephemeral::{Options, TempServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Once a client sends these bytes, the proxy forwards nothing more, either way, and keeps
/// both connections open.
const MARKER: &[u8] = b"pgvet_stall_here";

/// Listens on 127.0.0.1 and forwards to `port` until [`MARKER`] passes; returns its port.
async fn stalling_proxy(port: u16) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let local = listener.local_addr().unwrap().port();
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
            tokio::spawn(forward(client_read, server_write, stalled.clone(), true));
            tokio::spawn(forward(server_read, client_write, stalled, false));
        }
    });
    local
}

async fn forward(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    stalled: Arc<AtomicBool>,
    watch: bool,
) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if watch && buffer[..n].windows(MARKER.len()).any(|w| w == MARKER) {
            stalled.store(true, Ordering::SeqCst);
        }
        if stalled.load(Ordering::SeqCst) {
            // Both halves stay open: the peer's bytes are acknowledged by TCP but never
            // answered (keepalives are answered too, so only a deadline can tell).
            tokio::time::sleep(Duration::from_secs(120)).await;
            return;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_stops_answering_ends_the_run_as_a_lost_connection_with_the_report_saved() {
    let server = TempServer::start(Options {
        tcp: true,
        ..Options::default()
    })
    .unwrap_or_else(|e| panic!("test server: {e}"));
    let port = stalling_proxy(server.port()).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pgvet.toml"),
        "[settings]\nstatement_timeout = \"1s\"\nruns = 1\nwarmup = 0\n
[[query]]\nname = \"first\"\nsql = \"SELECT 1\"\nexpect = \"any\"\n
[[query]]\nname = \"stalled\"\nsql = \"SELECT 'pgvet_stall_here'\"\nexpect = \"any\"\n
[[query]]\nname = \"third\"\nsql = \"SELECT 3\"\nexpect = \"any\"\n",
    )
    .unwrap();
    let save = dir.path().join("run.json");
    let db = format!("host=127.0.0.1 port={port} user=postgres dbname=postgres sslmode=disable");
    let started = Instant::now();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_pgvet"));
    command
        .args(["check", "--db", &db, dir.path().to_str().unwrap()])
        .args(["--save", save.to_str().unwrap()])
        .env_remove("DATABASE_URL");
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    // The deadline is statement_timeout (1 s) + 10 s; well before the proxy's 120 s.
    assert!(took >= Duration::from_secs(11), "{took:?}");
    assert!(took < Duration::from_secs(60), "{took:?}");
    assert!(
        stderr.contains("the connection to the server was lost"),
        "{stderr}"
    );

    let report: pgvet::report::Report =
        serde_json::from_str(&std::fs::read_to_string(&save).unwrap()).unwrap();
    let errors: Vec<_> = report.queries.iter().map(|q| q.error.clone()).collect();
    assert_eq!(
        report.queries[0].status,
        pgvet::report::model::Status::Pass,
        "{errors:?}"
    );
    assert!(
        errors[1]
            .as_deref()
            .unwrap()
            .contains("did not answer within 11 s"),
        "{errors:?}"
    );
    assert!(
        errors[2]
            .as_deref()
            .unwrap()
            .starts_with("not run: the connection to the server was lost"),
        "{errors:?}"
    );
}
