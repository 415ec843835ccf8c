//! Which data connections hand the client TLS 1.3 tickets, seen from a
//! rustls client that, as OpenSSL and curl since 8.12 do, uses each ticket
//! once: downloads and listings get [`DATA_TICKETS`] each, so a client that
//! keeps downloading keeps resuming; uploads get none.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, HandshakeKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;

use super::{DATA_TICKETS, Registration, TlsConfig};
use crate::defence::DEFAULT_IPV6_PREFIX;
use crate::testkit::{certificates, certificates_for};

const LOCALHOST: Ipv4Addr = Ipv4Addr::LOCALHOST;

fn localhost() -> ServerName<'static> {
    ServerName::try_from("localhost").unwrap()
}

/// Handshakes the control connection and reads what the server sent after
/// it (its tickets); the session stays registered while the registration
/// lives.
async fn control(server: &TlsConfig, client: &Arc<ClientConfig>, token: [u8; 16]) -> Registration {
    let (ours, theirs) = tokio::io::duplex(1 << 16);
    let (accepted, connected) = tokio::join!(
        server.accept_control(
            crate::link::pipe(ours),
            server.register(LOCALHOST.into(), DEFAULT_IPV6_PREFIX, token)
        ),
        TlsConnector::from(client.clone()).connect(localhost(), theirs)
    );
    let ((mut server_end, registration), mut client_end) = (accepted.unwrap(), connected.unwrap());
    server_end.write_all(b"220 ok\r\n").await.unwrap();
    server_end.flush().await.unwrap();
    let mut line = [0; 8];
    client_end.read_exact(&mut line).await.unwrap();
    registration
}

/// One data connection, the server sending (`download`) or receiving, to
/// its end; whether the client resumed.
async fn data(
    server: &TlsConfig,
    client: &Arc<ClientConfig>,
    token: [u8; 16],
    download: bool,
) -> bool {
    let (ours, theirs) = tokio::io::duplex(1 << 16);
    let (accepted, connected) = tokio::join!(
        server.accept_data(crate::link::pipe(ours), token, false, download),
        TlsConnector::from(client.clone()).connect(localhost(), theirs)
    );
    let (mut server_end, mut client_end) = (accepted.unwrap(), connected.unwrap());
    let resumed = client_end.get_ref().1.handshake_kind() == Some(HandshakeKind::Resumed);
    let mut rest = Vec::new();
    if download {
        server_end.write_all(&[1; 5000]).await.unwrap();
        server_end.shutdown().await.unwrap();
        client_end.read_to_end(&mut rest).await.unwrap();
    } else {
        client_end.write_all(&[2; 5000]).await.unwrap();
        client_end.shutdown().await.unwrap();
        server_end.read_to_end(&mut rest).await.unwrap();
    }
    assert_eq!(rest.len(), 5000);
    resumed
}

#[tokio::test]
async fn downloads_hand_out_tickets_that_keep_later_data_connections_resuming() {
    // rustls's client keeps its tickets in one store per config, and
    // takes each out once.
    let (server, client) = certificates();
    let token = [3; 16];
    let _registered = control(&server, &client, token).await;
    // The control connection's two tickets, then each download's own:
    // each spends one and brings DATA_TICKETS.
    let downloads = 3;
    for n in 0..downloads {
        assert!(data(&server, &client, token, true).await, "download {n}");
    }
    // Uploads only spend them, until none is left.
    let held = 2 + downloads * (DATA_TICKETS - 1);
    for n in 0..held {
        assert!(data(&server, &client, token, false).await, "upload {n}");
    }
    assert!(
        !data(&server, &client, token, false).await,
        "no ticket left"
    );
    // A full handshake hands out nothing to resume with: anyone who
    // reaches the port can make one.
    assert!(!data(&server, &client, token, true).await, "full handshake");
    assert!(
        !data(&server, &client, token, true).await,
        "no ticket from it"
    );
}

/// A stranger's full handshake on a data connection, in TLS 1.3 or 1.2,
/// gets no state carrying the session's token (no ticket, no stored
/// session ID): its next data connection cannot resume as the session,
/// which the reuse check would then accept.
#[tokio::test]
async fn a_full_handshake_on_a_data_connection_gets_nothing_to_resume_with() {
    for versions in [
        &[&rustls::version::TLS13][..],
        &[&rustls::version::TLS12][..],
    ] {
        let (server, stranger) = certificates_for(versions);
        let token = [5; 16];
        let _registered = server
            .siblings
            .register(LOCALHOST.into(), DEFAULT_IPV6_PREFIX, token);
        for download in [true, false] {
            let first = data(&server, &stranger, token, download).await;
            let second = data(&server, &stranger, token, download).await;
            assert!(!first && !second, "{versions:?}, download {download}");
        }
    }
}

/// A control session's registration outlasts neither its handshake's
/// failure nor an abandoned handshake (a timeout), and is there for the
/// whole handshake: its tickets may be presented before the session's
/// task runs again.
#[tokio::test]
async fn a_control_sessions_registration_lasts_through_its_handshake_only_if_it_succeeds() {
    let (server, _client) = certificates();
    let token = [6; 16];
    let (ours, _theirs) = tokio::io::duplex(1 << 16);
    let registration = server.register(LOCALHOST.into(), DEFAULT_IPV6_PREFIX, token);
    let mut handshake = Box::pin(server.accept_control(crate::link::pipe(ours), registration));
    // No ClientHello comes: the handshake waits for it.
    let waiting = tokio::time::timeout(Duration::from_millis(20), handshake.as_mut()).await;
    assert!(
        waiting.is_err(),
        "the handshake cannot end without a client"
    );
    assert_eq!(server.siblings.find(&token), Some(token));
    drop(handshake);
    assert_eq!(
        server.siblings.find(&token),
        None,
        "an abandoned handshake leaves"
    );
    // A client that gives up at once: the handshake fails.
    let (ours, theirs) = tokio::io::duplex(1 << 16);
    drop(theirs);
    let registration = server.register(LOCALHOST.into(), DEFAULT_IPV6_PREFIX, token);
    let failed = server
        .accept_control(crate::link::pipe(ours), registration)
        .await;
    assert!(failed.is_err());
    assert_eq!(
        server.siblings.find(&token),
        None,
        "a failed handshake leaves"
    );
}
