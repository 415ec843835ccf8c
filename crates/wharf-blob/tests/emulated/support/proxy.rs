//! A loopback TCP proxy in front of an emulator that counts the bytes the
//! store sends, records the request lines clients send, and can answer the
//! next connections with `503` instead of forwarding them (fault injection
//! for the retry tests).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The proxy; stops when dropped.
pub struct Proxy {
    pub port: u16,
    /// Bytes sent by the store to clients so far.
    pub downstream: Arc<AtomicU64>,
    /// Bytes sent by clients to the store so far.
    pub upstream: Arc<AtomicU64>,
    /// How many of the next connections get `503 Service Unavailable`.
    pub fail_next: Arc<AtomicUsize>,
    /// Connections answered with 503.
    pub failed: Arc<AtomicUsize>,
    /// The request lines (`PUT /account/box/key HTTP/1.1`) forwarded so
    /// far, in the order they arrived.
    pub requests: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// Starts forwarding a free loopback port to `target_port`.
    pub async fn start(target_port: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let downstream = Arc::new(AtomicU64::new(0));
        let upstream = Arc::new(AtomicU64::new(0));
        let fail_next = Arc::new(AtomicUsize::new(0));
        let failed = Arc::new(AtomicUsize::new(0));
        let (down, fail, failed_count) = (downstream.clone(), fail_next.clone(), failed.clone());
        let up_count = upstream.clone();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let request_log = requests.clone();
        let task = tokio::spawn(async move {
            let target = SocketAddr::from(([127, 0, 0, 1], target_port));
            while let Ok((mut client, _)) = listener.accept().await {
                let injected = fail
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
                if injected {
                    failed_count.fetch_add(1, Ordering::SeqCst);
                    tokio::spawn(async move {
                        let mut buf = [0u8; 4096];
                        // Read (part of) the request, then refuse it.
                        let _ = tokio::io::AsyncReadExt::read(&mut client, &mut buf).await;
                        let _ = client
                            .write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                            .await;
                        let _ = client.shutdown().await;
                    });
                    continue;
                }
                let down = down.clone();
                let up_count = up_count.clone();
                let request_log = request_log.clone();
                tokio::spawn(async move {
                    let Ok(upstream) = TcpStream::connect(target).await else {
                        return;
                    };
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut up_read, mut up_write) = upstream.into_split();
                    let up = tokio::spawn(async move {
                        let mut buf = vec![0u8; 16 * 1024];
                        let mut line = Vec::new();
                        loop {
                            let n = match tokio::io::AsyncReadExt::read(&mut client_read, &mut buf)
                                .await
                            {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            up_count.fetch_add(n as u64, Ordering::SeqCst);
                            record_request_lines(&buf[..n], &mut line, &request_log);
                            if up_write.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                        let _ = up_write.shutdown().await;
                    });
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        let n = match tokio::io::AsyncReadExt::read(&mut up_read, &mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        down.fetch_add(n as u64, Ordering::SeqCst);
                        if client_write.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    up.abort();
                });
            }
        });
        Self {
            port,
            downstream,
            upstream,
            fail_next,
            failed,
            requests,
            task,
        }
    }

    /// The request lines forwarded so far.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// Bytes the store has sent so far.
    pub fn bytes(&self) -> u64 {
        self.downstream.load(Ordering::SeqCst)
    }

    /// Bytes clients have sent so far.
    pub fn sent(&self) -> u64 {
        self.upstream.load(Ordering::SeqCst)
    }
}

/// Appends every line of `bytes` that looks like an HTTP request line to
/// `log`; `line` carries a line split across reads. Bodies are scanned too,
/// which is harmless for the small text bodies of the tests that look.
fn record_request_lines(bytes: &[u8], line: &mut Vec<u8>, log: &Mutex<Vec<String>>) {
    for &byte in bytes {
        if byte != b'\n' {
            if line.len() < 4096 {
                line.push(byte);
            }
            continue;
        }
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches('\r');
        let is_request = ["GET ", "PUT ", "POST ", "HEAD ", "DELETE "]
            .iter()
            .any(|m| text.starts_with(m))
            && text.ends_with(" HTTP/1.1");
        if is_request {
            log.lock().unwrap().push(text.to_string());
        }
        line.clear();
    }
}
