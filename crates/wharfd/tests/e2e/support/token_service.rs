//! A stand-in for Entra ID and the managed identity endpoint (IMDS), for
//! the OAuth tests against Azurite: a plain-HTTP server on a loopback port
//! that answers
//!
//! ```text
//! POST /{tenant}/oauth2/v2.0/token     client credentials (client_secret or a
//!                                      client_assertion: workload identity)
//! GET  /metadata/identity/oauth2/token with `Metadata: true` (IMDS)
//! ```
//!
//! with unsigned JWTs of the shape Azurite's `--oauth basic` checks: `iss`
//! `https://sts.windows.net/{tenant}/`, `aud` `https://storage.azure.com`,
//! `iat`/`nbf`/`exp` (it checks the lifetime, not the signature). The test
//! switches what it issues mid-run ([`Issue`]); tokens live 60 s so that
//! object_store (which refreshes within 5 minutes of expiry) asks again at
//! every request, and a switch takes effect at once.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The tenant the service issues for.
pub(crate) const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
/// The application the client secret belongs to.
pub(crate) const CLIENT_ID: &str = "0b5e1f3a-7d2c-4e8b-9f61-3c2d7a9e4b10";
/// The client secret it accepts.
pub(crate) const CLIENT_SECRET: &str = "wharf-test-client-secret";
/// The federated token (workload identity) it accepts.
pub(crate) const FEDERATED_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ3aGFyZiJ9.c2ln";

/// What the service issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Issue {
    /// Tokens Azurite accepts.
    Valid = 0,
    /// Tokens that expired an hour ago (Azurite refuses them).
    Expired = 1,
    /// No token: `400 invalid_client` (a revoked secret or identity).
    Refuse = 2,
}

struct State {
    issue: AtomicU8,
    issued: AtomicUsize,
    stop: AtomicBool,
}

/// The running service; stopped on drop.
pub(crate) struct TokenService {
    pub(crate) port: u16,
    state: Arc<State>,
}

impl TokenService {
    pub(crate) fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("test set-up");
        let port = listener.local_addr().expect("test set-up").port();
        let state = Arc::new(State {
            issue: AtomicU8::new(Issue::Valid as u8),
            issued: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        });
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if shared.stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || {
                    let _ = serve(stream, &shared);
                });
            }
        });
        Self { port, state }
    }

    /// The authority host for client secrets and workload identity.
    pub(crate) fn authority(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The managed identity endpoint.
    pub(crate) fn imds(&self) -> String {
        format!(
            "http://127.0.0.1:{}/metadata/identity/oauth2/token",
            self.port
        )
    }

    /// From now on, issue `issue`.
    pub(crate) fn set(&self, issue: Issue) {
        self.state.issue.store(issue as u8, Ordering::SeqCst);
    }

    /// How many tokens were issued (valid or expired).
    pub(crate) fn issued(&self) -> usize {
        self.state.issued.load(Ordering::SeqCst)
    }
}

impl Drop for TokenService {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// A JWT of Azurite's expected shape, unsigned, valid from `start` for
/// `life` seconds (negative: already expired).
fn jwt(now: i64, life: i64) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#);
    let (start, end) = if life < 0 {
        (now - 7200, now - 3600)
    } else {
        (now - 60, now + life)
    };
    let claims = format!(
        r#"{{"aud":"https://storage.azure.com","iss":"https://sts.windows.net/{TENANT}/","iat":{start},"nbf":{start},"exp":{end},"tid":"{TENANT}","appid":"{CLIENT_ID}","oid":"9d3c1b2a-0000-4000-8000-000000000001"}}"#
    );
    let payload = URL_SAFE_NO_PAD.encode(claims);
    format!("{header}.{payload}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk")
}

fn serve(mut stream: TcpStream, state: &State) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut length = 0;
    let mut metadata = false;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').unwrap_or((&header, ""));
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().unwrap_or(0),
            "metadata" => metadata = value.trim() == "true",
            _ => {}
        }
    }
    let mut body = vec![0; length.min(1 << 16)];
    reader.read_exact(&mut body)?;
    let body = String::from_utf8_lossy(&body).to_string();
    let target = line.split(' ').nth(1).unwrap_or_default().to_owned();
    let form = |key: &str| {
        body.split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| {
                v.replace("%2F", "/")
                    .replace("%3A", ":")
                    .replace("%2E", ".")
            })
    };
    let issue = state.issue.load(Ordering::SeqCst);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let life = if issue == Issue::Expired as u8 {
        -1
    } else {
        60
    };
    let (status, reply) = if line.starts_with("POST ")
        && target == format!("/{TENANT}/oauth2/v2.0/token")
    {
        let client = form("client_id").as_deref() == Some(CLIENT_ID);
        let secret = form("client_secret").as_deref() == Some(CLIENT_SECRET);
        let assertion = form("client_assertion").as_deref() == Some(FEDERATED_TOKEN);
        let scope = form("scope").as_deref() == Some("https://storage.azure.com/.default");
        if issue == Issue::Refuse as u8 || !(client && scope && (secret || assertion)) {
            (
                "400 Bad Request",
                r#"{"error":"invalid_client"}"#.to_owned(),
            )
        } else {
            state.issued.fetch_add(1, Ordering::SeqCst);
            (
                "200 OK",
                format!(
                    r#"{{"token_type":"Bearer","expires_in":60,"access_token":"{}"}}"#,
                    jwt(now, life)
                ),
            )
        }
    } else if line.starts_with("GET /metadata/identity/oauth2/token?") && metadata {
        let resource = target.contains("resource=https%3A%2F%2Fstorage.azure.com")
            || target.contains("resource=https://storage.azure.com");
        if issue == Issue::Refuse as u8 || !resource {
            (
                "400 Bad Request",
                r#"{"error":"invalid_request"}"#.to_owned(),
            )
        } else {
            state.issued.fetch_add(1, Ordering::SeqCst);
            (
                "200 OK",
                format!(
                    r#"{{"token_type":"Bearer","resource":"https://storage.azure.com","expires_on":"{}","access_token":"{}"}}"#,
                    now + 60,
                    jwt(now, life)
                ),
            )
        }
    } else {
        ("404 Not Found", "{}".to_owned())
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
        reply.len()
    )
}
