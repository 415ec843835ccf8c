//! The admin HTTP listener (off by default; give it a loopback address):
//! `/metrics` in the Prometheus text format, `/healthz` (the process
//! answers) and `/readyz` (listening, storage reachable and not draining:
//! `503` from the moment shutdown begins, so a load balancer sends no new
//! sessions, and while the storage check fails; see `readiness.rs`). The
//! admin listener starts after every FTP listener is bound, so an answer
//! at all means they are.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use wharf_session::Connections;

use crate::metrics::{self, Metrics};
use crate::readiness::StorageProbe;

/// At most this many admin connections at once; more wait in the backlog.
const MAX_CONNECTIONS: usize = 16;

/// How long a request's head may take to arrive.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// What the admin listener reports on.
pub(crate) struct Admin {
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) connections: Connections,
    /// Set when shutdown begins.
    pub(crate) draining: AtomicBool,
    /// The storage check; `None` where there is no fixed store
    /// (passthrough).
    pub(crate) storage: Option<StorageProbe>,
}

/// `PORT` alone means `127.0.0.1:PORT`: the admin listener is for the
/// machine's own scraper unless an address says otherwise.
pub(crate) fn parse_address(text: &str) -> Result<SocketAddr> {
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    text.parse()
        .with_context(|| format!("invalid admin address {text:?}: expected PORT or IP:PORT"))
}

/// Binds the admin listener.
pub(crate) async fn bind(address: SocketAddr) -> Result<TcpListener> {
    TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen for admin requests on {address}"))
}

/// Answers admin requests until the process ends.
pub(crate) async fn serve(listener: TcpListener, admin: Arc<Admin>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                tracing::warn!(%error, "admin accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let admin = admin.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<_>| {
                let admin = admin.clone();
                let method = request.method().clone();
                let path = request.uri().path().to_owned();
                async move { Ok::<_, Infallible>(admin.respond(&method, &path).await) }
            });
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            drop(slot);
        });
    }
}

impl Admin {
    async fn respond(&self, method: &Method, path: &str) -> Response<Full<Bytes>> {
        if method != Method::GET && method != Method::HEAD {
            return text(StatusCode::METHOD_NOT_ALLOWED, "GET only\n");
        }
        match path {
            "/metrics" => {
                let body = self.metrics.render(self.connections.stats());
                let mut response = Response::new(Full::new(Bytes::from(body)));
                response.headers_mut().insert(
                    hyper::header::CONTENT_TYPE,
                    hyper::header::HeaderValue::from_static(metrics::CONTENT_TYPE),
                );
                response
            }
            "/healthz" => text(StatusCode::OK, "ok\n"),
            "/readyz" if self.draining.load(Ordering::Relaxed) => {
                text(StatusCode::SERVICE_UNAVAILABLE, "draining\n")
            }
            "/readyz" => match &self.storage {
                Some(probe) => match probe.check().await {
                    Ok(()) => text(StatusCode::OK, "ready\n"),
                    Err(reason) => Response::builder()
                        .status(StatusCode::SERVICE_UNAVAILABLE)
                        .body(Full::new(Bytes::from(format!("{reason}\n"))))
                        .unwrap_or_else(|_| text(StatusCode::SERVICE_UNAVAILABLE, "not ready\n")),
                },
                None => text(StatusCode::OK, "ready\n"),
            },
            _ => text(StatusCode::NOT_FOUND, "not found\n"),
        }
    }
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_port_is_loopback() {
        assert_eq!(
            parse_address("9100").unwrap(),
            "127.0.0.1:9100".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(
            parse_address("[::1]:9100").unwrap(),
            "[::1]:9100".parse::<SocketAddr>().unwrap()
        );
        assert!(parse_address("localhost:x").is_err());
    }
}
