//! The seams for embedders that accept connections themselves: a listener
//! bound elsewhere (`ServerBuilder::listener`), and single connections
//! handed over with the client's address (`Server::connections`), as a
//! PROXY-protocol front end would.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test helpers panic on purpose.

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use wharf_session::{AuthContext, AuthError, FnAuthenticator, Login, Options, Server};

use support::{Client, storage_with};

/// A server whose logins record the client address the session was given.
async fn builder_seeing(seen: Arc<Mutex<Option<SocketAddr>>>) -> wharf_session::ServerBuilder {
    let vfs = storage_with("/f.bin", 10).await;
    let auth = FnAuthenticator::new(move |user: &str, _: &[u8], context: &AuthContext| {
        *seen.lock().unwrap() = Some(context.peer);
        Ok::<_, AuthError>(Login::new(user, vfs.clone(), true))
    });
    Server::builder(auth)
}

async fn builder() -> wharf_session::ServerBuilder {
    builder_seeing(Arc::default()).await
}

#[tokio::test]
async fn a_listener_bound_elsewhere_is_served() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = builder().await.listener(listener).bind().await.unwrap();
    assert_eq!(server.local_addrs(), [addr]);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));
    let mut client = Client::login(addr).await;
    assert_eq!(client.cmd("SIZE f.bin").await.code().get(), 213);
    let _ = stop.send(());
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_connection_handed_over_runs_as_the_address_given() {
    // No listener of its own: only what the front end hands over.
    let seen = Arc::new(Mutex::new(None));
    let server = builder_seeing(seen.clone()).await.build().await.unwrap();
    assert!(server.local_addrs().is_empty());
    let connections = server.connections();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));
    let front = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let front_addr = front.local_addr().unwrap();
    let real_client: SocketAddr = "192.0.2.7:40000".parse().unwrap();
    tokio::spawn(async move {
        let (stream, _) = front.accept().await.unwrap();
        connections.serve(stream, real_client, false);
    });
    let mut client = Client::login(front_addr).await;
    assert_eq!(client.cmd("SIZE f.bin").await.code().get(), 213);
    assert_eq!(*seen.lock().unwrap(), Some(real_client));
    let _ = stop.send(());
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_server_without_listeners_needs_build_not_bind() {
    let error = builder().await.bind().await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    let mut options = Options::default();
    options.max_sessions = 1;
    assert!(builder().await.options(options).build().await.is_ok());
}
