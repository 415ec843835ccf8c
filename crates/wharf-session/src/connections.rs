//! Taking in one control connection, wherever it was accepted: the
//! server's own accept loops, or an embedder's (a PROXY-protocol front end
//! that read the real client address, socket activation, tests).
//!
//! Every connection passes the same gates in the same order: the access
//! list ([`Options::access`](crate::Options::access)), the session limits
//! (in all, per address group, not yet logged in), then the ban list,
//! then the fleet's per-address count if one is shared, then the session runs under the server's shutdown signal.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::link::{self, Link};
use tokio::sync::watch;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};
use wharf_proto::{Reply, ReplyCode};

use crate::access::{ACCESS_LOG, REFUSED_ADDRESS};
use crate::defence::Admission;
use crate::defence::limits::Slot;
use crate::defence::limits::TOO_MANY_FROM_ADDRESS;
use crate::observe::{ConnectionRefusal, ServerStats};
use crate::proxy::{ProxyProtocol, read_client};
use crate::session::{ServerContext, run_session};

/// Serves connections accepted outside the server's listeners, under its
/// limits, bans and graceful shutdown. Get one from
/// [`Server::connections`](crate::Server::connections); clones share the
/// server.
#[derive(Clone)]
pub struct Connections {
    /// The settings new sessions get; a reload replaces them.
    pub(crate) current: Arc<RwLock<Arc<ServerContext>>>,
    pub(crate) sessions: TaskTracker,
    pub(crate) stopped: watch::Receiver<bool>,
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connections")
            .field("sessions", &self.sessions.len())
            .field("stopping", &*self.stopped.borrow())
            .finish_non_exhaustive()
    }
}

impl Connections {
    /// The settings a session starting now gets.
    pub(crate) fn ctx(&self) -> Arc<ServerContext> {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// How busy the server is now: sessions, passive ports waiting for
    /// their data connection, bans.
    pub fn stats(&self) -> ServerStats {
        let ctx = self.ctx();
        let (sessions, sessions_not_logged_in) = ctx.defence.limits.counts();
        let (passive_listeners, multiplexed_reservations) = ctx.ports.waiting();
        ServerStats {
            sessions,
            sessions_not_logged_in,
            passive_listeners,
            multiplexed_reservations,
            bans_active: ctx.defence.guard.bans_active(),
        }
    }

    /// Serves `stream` as a control connection from `peer` (the client's
    /// address: the socket's peer, or the one a PROXY header named).
    /// `implicit` starts with a TLS handshake (implicit FTPS; needs the
    /// server's TLS configuration). Returns at once: the session runs in a
    /// task of its own, and [`Server::run_until`](crate::Server::run_until)
    /// waits for it at shutdown. A connection offered after shutdown began
    /// is closed.
    pub fn serve(&self, stream: TcpStream, peer: SocketAddr, implicit: bool) {
        let Ok(local) = stream.local_addr() else {
            return;
        };
        self.serve_link(link::tcp(stream), peer, local, implicit);
    }

    /// Serves `stream` from the load balancer at `proxy_peer`: its PROXY
    /// header first (read in the session's task, within the header time
    /// limit), then the session of the client it names. A missing or
    /// malformed header closes the connection, with a log line saying why.
    pub(crate) fn serve_proxied(
        &self,
        mut stream: TcpStream,
        proxy_peer: SocketAddr,
        implicit: bool,
        proxy: ProxyProtocol,
    ) {
        if *self.stopped.borrow() {
            return;
        }
        let Ok(local) = stream.local_addr() else {
            return;
        };
        let connections = self.clone();
        self.sessions.spawn(async move {
            match read_client(&mut stream, proxy.header_timeout).await {
                Ok(client) => {
                    let peer = client.unwrap_or(proxy_peer);
                    connections.serve_link(link::tcp(stream), peer, local, implicit);
                }
                Err(error) => {
                    warn!(proxy = %proxy_peer, %error, "connection from a trusted proxy closed");
                }
            }
        });
    }

    /// [`Connections::serve`] for any link: `local` is the address the
    /// client reached.
    pub(crate) fn serve_link(
        &self,
        stream: Link,
        peer: SocketAddr,
        local: SocketAddr,
        implicit: bool,
    ) {
        if *self.stopped.borrow() {
            return;
        }
        let ctx = &self.ctx();
        if let Err(rule) = ctx.options.access.check(peer.ip()) {
            let client = peer.ip().to_canonical();
            info!(target: ACCESS_LOG, %client, %rule, "connection refused by the access list");
            ctx.observers
                .each(|o| o.connection_refused(peer, local, ConnectionRefusal::AccessList));
            if !implicit {
                self.sessions
                    .spawn(refuse(stream, REFUSED_ADDRESS.to_owned()));
            }
            return;
        }
        let slot = match ctx.defence.limits.admit(peer, local) {
            Ok(slot) => slot,
            Err(why) => {
                ctx.observers
                    .each(|o| o.connection_refused(peer, local, ConnectionRefusal::Limit));
                // An implicit-TLS client cannot read a clear 421: just close.
                if !implicit {
                    self.sessions.spawn(refuse(stream, why.to_owned()));
                }
                return;
            }
        };
        let session = admitted(
            ctx.clone(),
            stream,
            peer,
            local,
            implicit,
            slot,
            self.stopped.clone(),
        );
        self.sessions.spawn(session);
    }
}

/// A connection past the access list and the session limits (`slot` is
/// its place): the ban list and the fleet's count, then the session. Its
/// future is the session task's, which lives as long as the connection:
/// `session/footprint.rs` checks that it stays small.
pub(crate) async fn admitted(
    ctx: Arc<ServerContext>,
    stream: Link,
    peer: SocketAddr,
    local: SocketAddr,
    implicit: bool,
    slot: Slot,
    stopped: watch::Receiver<bool>,
) {
    // Asked in the session's task: a shared guard may take a
    // moment, and the accept loop must not wait for it.
    let group = ctx.defence.limits.group(peer);
    if let Some(ban) = ctx.defence.guard.is_banned(group).await {
        // Debug only: a banned client may knock thousands of times.
        debug!(%peer, %group, "connection from a banned address refused");
        ctx.observers
            .each(|o| o.connection_refused(peer, local, ConnectionRefusal::Banned));
        if !implicit {
            refuse(stream, ban.reply_text()).await;
        }
        return;
    }
    // The fleet-wide count last: a banned client costs no write.
    let counted = match &ctx.defence.registry {
        Some(registry) => {
            let limit = ctx.options.max_sessions_per_ip;
            match registry.open(group, limit).await {
                Admission::Full => {
                    debug!(%peer, %group, "connection over the fleet's per-address limit refused");
                    ctx.observers
                        .each(|o| o.connection_refused(peer, local, ConnectionRefusal::Limit));
                    if !implicit {
                        refuse(stream, TOO_MANY_FROM_ADDRESS.to_owned()).await;
                    }
                    return;
                }
                Admission::Counted => Some(registry.clone()),
                _ => None,
            }
        }
        None => None,
    };
    run_session(ctx, stream, peer, local, implicit, stopped).await;
    drop(slot);
    if let Some(registry) = counted {
        registry.close(group).await;
    }
}

/// `421` and close, for a connection refused by the access list, over a
/// limit or from a banned group.
async fn refuse(mut stream: Link, why: String) {
    let reply = Reply::new(ReplyCode::SERVICE_NOT_AVAILABLE, &why);
    let _ = stream.write_all(&reply.to_bytes()).await;
    let _ = stream.shutdown().await;
}
