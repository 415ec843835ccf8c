//! Certificates are reloaded without dropping sessions: after the PEM files
//! change and `TlsConfig::reload` runs, new handshakes get the new
//! certificate while a session opened before goes on over its old one.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test helpers panic on purpose.

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;
use wharf_session::{AuthContext, AuthError, FnAuthenticator, Login, Server, TlsConfig};
use wharf_vfs::MemoryFs;

const WAIT: Duration = Duration::from_secs(10);

fn write_cert(dir: &std::path::Path, name: &str) -> Vec<u8> {
    let generated = rcgen::generate_simple_self_signed(vec![name.to_owned()]).unwrap();
    std::fs::write(dir.join("cert.pem"), generated.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), generated.signing_key.serialize_pem()).unwrap();
    generated.cert.der().to_vec()
}

/// A control connection secured with AUTH TLS; returns the stream and the
/// certificate the server showed.
async fn secure(
    addr: std::net::SocketAddr,
) -> (
    BufReader<tokio_rustls::client::TlsStream<TcpStream>>,
    Vec<u8>,
) {
    let config = wharf_test_support::any_certificate_client().unwrap();
    let mut tcp = BufReader::new(TcpStream::connect(addr).await.unwrap());
    let mut line = String::new();
    tcp.read_line(&mut line).await.unwrap();
    assert!(line.starts_with("220"), "{line}");
    tcp.get_mut().write_all(b"AUTH TLS\r\n").await.unwrap();
    line.clear();
    tcp.read_line(&mut line).await.unwrap();
    assert!(line.starts_with("234"), "{line}");
    let name = ServerName::try_from("localhost").unwrap();
    let tls = TlsConnector::from(Arc::new(config))
        .connect(name, tcp.into_inner())
        .await
        .unwrap();
    let cert = tls.get_ref().1.peer_certificates().unwrap()[0].to_vec();
    (BufReader::new(tls), cert)
}

async fn noop(stream: &mut BufReader<tokio_rustls::client::TlsStream<TcpStream>>) -> String {
    stream.get_mut().write_all(b"NOOP\r\n").await.unwrap();
    let mut line = String::new();
    timeout(WAIT, stream.read_line(&mut line))
        .await
        .unwrap()
        .unwrap();
    line
}

#[tokio::test]
async fn reload_swaps_the_certificate_for_new_handshakes_only() {
    let dir = tempfile::tempdir().unwrap();
    let first = write_cert(dir.path(), "first.test");
    let tls = Arc::new(
        TlsConfig::from_files(&dir.path().join("cert.pem"), &dir.path().join("key.pem")).unwrap(),
    );
    let vfs = Arc::new(MemoryFs::new());
    let auth = FnAuthenticator::new(move |user: &str, _: &[u8], _: &AuthContext| {
        Ok::<_, AuthError>(Login::new(user, vfs.clone(), true))
    });
    let server = Server::builder(auth)
        .tls(tls.clone())
        .listen("127.0.0.1:0".parse().unwrap())
        .bind()
        .await
        .unwrap();
    let addr = server.local_addrs()[0];
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));

    let (mut old_session, shown) = secure(addr).await;
    assert_eq!(shown, first);

    let second = write_cert(dir.path(), "second.test");
    tls.reload().unwrap();
    let (mut new_session, shown) = secure(addr).await;
    assert_eq!(
        shown, second,
        "a new handshake must get the new certificate"
    );
    assert!(noop(&mut new_session).await.starts_with("200"));
    // The session from before the reload is still served.
    assert!(noop(&mut old_session).await.starts_with("200"));

    // A broken file keeps the current certificate.
    std::fs::write(dir.path().join("cert.pem"), "not a certificate").unwrap();
    assert!(tls.reload().is_err());
    let (_, shown) = secure(addr).await;
    assert_eq!(shown, second);

    stop.send(()).unwrap();
    timeout(WAIT, running).await.unwrap().unwrap().unwrap();
}
