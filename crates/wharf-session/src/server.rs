//! A bound server: its accept loops and its graceful shutdown.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

use crate::auth::Authenticator;
use crate::builder::ServerBuilder;
use crate::connections::Connections;
use crate::proxy::ListenerKind;

/// A bound FTP server; [`Server::run_until`] serves it.
pub struct Server {
    /// Each listener, and whether it is implicit FTPS.
    pub(crate) listeners: Vec<(TcpListener, bool)>,
    pub(crate) connections: Connections,
    pub(crate) stop: watch::Sender<bool>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("local_addrs", &self.local_addrs())
            .field("implicit_addrs", &self.implicit_addrs())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Starts building a server whose logins `authenticator` decides.
    pub fn builder(authenticator: impl Authenticator + 'static) -> ServerBuilder {
        Self::builder_arc(Arc::new(authenticator))
    }

    /// Like [`Server::builder`], for an authenticator already shared.
    pub fn builder_arc(authenticator: Arc<dyn Authenticator>) -> ServerBuilder {
        ServerBuilder::new(authenticator)
    }

    /// The plain (explicit FTPS) addresses actually bound, with the ports
    /// the OS chose.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.addrs(false)
    }

    /// The implicit-FTPS addresses actually bound.
    pub fn implicit_addrs(&self) -> Vec<SocketAddr> {
        self.addrs(true)
    }

    /// A handle that serves connections accepted elsewhere (a PROXY
    /// protocol front end, tests) under this server's limits, bans and
    /// shutdown; see [`Connections::serve`].
    pub fn connections(&self) -> Connections {
        self.connections.clone()
    }

    fn addrs(&self, implicit: bool) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter(|(_, i)| *i == implicit)
            .filter_map(|(l, _)| l.local_addr().ok())
            .collect()
    }

    /// Serves until `shutdown` resolves; then stops accepting, lets running
    /// transfers finish within the grace period, closes every session with
    /// `421`, and returns. With [`ServerBuilder::usage_ledger`] and a store,
    /// counts are flushed in the background meanwhile and once more at the
    /// end.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let Self {
            listeners,
            connections,
            stop,
        } = self;
        #[cfg(feature = "usage")]
        let ctx = connections.ctx();
        #[cfg(feature = "usage")]
        let flusher = ctx.usage_ledger.as_ref().and_then(|a| a.spawn_flusher());
        let accept_loops = TaskTracker::new();
        for (listener, implicit) in listeners {
            accept_loops.spawn(accept_loop(listener, implicit, connections.clone()));
        }
        accept_loops.close();
        shutdown.await;
        info!("shutting down");
        let _ = stop.send(true);
        accept_loops.wait().await;
        connections.sessions.close();
        // The grace period of the settings in force now.
        let grace = connections.ctx().options.shutdown_grace + std::time::Duration::from_secs(5);
        if tokio::time::timeout(grace, connections.sessions.wait())
            .await
            .is_err()
        {
            warn!("sessions still open after the grace period");
        }
        #[cfg(feature = "usage")]
        {
            if let Some(flusher) = flusher {
                flusher.stop().await;
            }
            if let Some(ledger) = &ctx.usage_ledger
                && ledger.flush().await.is_err()
            {
                warn!("usage counts could not all be stored at shutdown");
            }
        }
        Ok(())
    }
}

async fn accept_loop(listener: TcpListener, implicit: bool, connections: Connections) {
    let mut stopped = connections.stopped.clone();
    let kind = if implicit {
        ListenerKind::Implicit
    } else {
        ListenerKind::Control
    };
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.changed() => return,
        };
        match accepted {
            Ok((stream, peer)) => {
                let proxy = connections.ctx().options.proxy_protocol.clone();
                match proxy {
                    Some(proxy) if proxy.reads(kind, peer.ip()) => {
                        connections.serve_proxied(stream, peer, implicit, proxy);
                    }
                    _ => connections.serve(stream, peer, implicit),
                }
            }
            Err(e) => {
                // Out of file descriptors and the like: back off briefly.
                warn!("accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}
