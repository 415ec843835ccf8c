//! Listeners, accept loops, connection limits and graceful shutdown.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, RwLock};

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

use crate::auth::Authenticator;
use crate::connections::Connections;
use crate::data::downloads::Downloads;
use crate::data::multiplex::Multiplexer;
use crate::data::passive::{PassivePorts, PublicAddresses};
use crate::data::ports::DataPorts;
use crate::data::socket_ports::SocketPorts;
use crate::defence::limits::Limits;
use crate::defence::{Defence, LoginGuard, MemoryLoginGuard};
use crate::observe::{Observer, Observers};
use crate::options::{Options, PublicAddress};
use crate::session::ServerContext;
use crate::throttle::Throttle;
use crate::tls::TlsConfig;
#[cfg(feature = "usage")]
use crate::usage::UsageLedger;

/// Builds a [`Server`].
pub struct ServerBuilder {
    authenticator: Arc<dyn Authenticator>,
    virtual_hosts: HashMap<String, Arc<dyn Authenticator>>,
    options: Options,
    addresses: Vec<SocketAddr>,
    implicit_addresses: Vec<SocketAddr>,
    /// Listeners bound by the embedder, and whether each is implicit FTPS.
    bound: Vec<(TcpListener, bool)>,
    tls: Option<Arc<TlsConfig>>,
    #[cfg(feature = "usage")]
    usage_ledger: Option<Arc<UsageLedger>>,
    login_guard: Option<Arc<dyn LoginGuard>>,
    /// Data connections through something other than sockets (tests).
    ports: Option<Arc<dyn DataPorts>>,
    observers: Observers,
}

impl std::fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut hosts: Vec<&String> = self.virtual_hosts.keys().collect();
        hosts.sort();
        f.debug_struct("ServerBuilder")
            .field("virtual_hosts", &hosts)
            .field("options", &self.options)
            .field("addresses", &self.addresses)
            .field("implicit_addresses", &self.implicit_addresses)
            .field("bound", &self.bound.len())
            .field("tls", &self.tls.is_some())
            .field("observers", &self.observers)
            .finish_non_exhaustive()
    }
}

impl ServerBuilder {
    /// Keeps failed-login counts and bans in `guard` (one shared by a
    /// fleet, say) instead of this server's memory by
    /// [`Options::login_ban`].
    pub fn login_guard(mut self, guard: Arc<dyn LoginGuard>) -> Self {
        self.login_guard = Some(guard);
        self
    }

    /// Keeps every login's usage per account in `ledger` and enforces the
    /// account's quota and rate limits (see [`crate::usage`]). A login whose
    /// authenticator attached its own [`QuotaHook`](crate::QuotaHook) is
    /// held to both.
    #[cfg(feature = "usage")]
    pub fn usage_ledger(mut self, ledger: Arc<UsageLedger>) -> Self {
        self.usage_ledger = Some(ledger);
        self
    }

    /// Data connections come from `ports` instead of sockets: the engine's
    /// tests run whole sessions over in-process pipes.
    #[cfg(test)]
    pub(crate) fn data_ports(mut self, ports: Arc<dyn DataPorts>) -> Self {
        self.ports = Some(ports);
        self
    }

    /// Adds an observer: it hears of every session, login, command,
    /// transfer and TLS handshake (see [`crate::observe`]). Observers are
    /// called in the order they were added.
    pub fn observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observers.push(observer);
        self
    }

    /// Replaces all options at once.
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// Passive data connections use ports from this range.
    pub fn passive_ports(mut self, ports: RangeInclusive<u16>) -> Self {
        self.options.passive_ports = Some(ports);
        self
    }

    /// The address announced in `227` replies (behind NAT).
    pub fn public_address(mut self, address: PublicAddress) -> Self {
        self.options.public_address = address;
        self
    }

    /// The text of the `220` greeting.
    pub fn greeting(mut self, greeting: impl Into<String>) -> Self {
        self.options.greeting = greeting.into();
        self
    }

    /// Adds a virtual host: a client that sends `HOST name` before logging
    /// in is checked by `authenticator` (RFC 7151). Names are matched
    /// without regard to case; `[IP]` literals are names too. Once any
    /// virtual host exists, HOST with an unknown name is refused.
    pub fn virtual_host(mut self, name: &str, authenticator: Arc<dyn Authenticator>) -> Self {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        self.virtual_hosts.insert(name, authenticator);
        self
    }

    /// Adds an address to listen on (IPv4 or IPv6; port 0 picks one).
    pub fn listen(mut self, address: SocketAddr) -> Self {
        self.addresses.push(address);
        self
    }

    /// Enables FTPS: `AUTH TLS` on every listener, PROT P data
    /// connections, and the implicit listeners.
    pub fn tls(mut self, tls: Arc<TlsConfig>) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Adds an implicit-FTPS address (TLS from the first byte; port 990 by
    /// convention). Needs [`ServerBuilder::tls`].
    pub fn implicit_listen(mut self, address: SocketAddr) -> Self {
        self.implicit_addresses.push(address);
        self
    }

    /// Serves a listener bound elsewhere: one handed over by systemd socket
    /// activation, or bound before privileges were given up.
    pub fn listener(mut self, listener: TcpListener) -> Self {
        self.bound.push((listener, false));
        self
    }

    /// Like [`ServerBuilder::listener`], for implicit FTPS. Needs
    /// [`ServerBuilder::tls`].
    pub fn implicit_listener(mut self, listener: TcpListener) -> Self {
        self.bound.push((listener, true));
        self
    }

    /// Binds every listen address. A server with no address and no
    /// listener is refused; one that only serves [`Server::connections`]
    /// comes from [`ServerBuilder::build`].
    pub async fn bind(self) -> io::Result<Server> {
        if self.addresses.is_empty() && self.implicit_addresses.is_empty() && self.bound.is_empty()
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "no address to listen on",
            ));
        }
        self.build().await
    }

    /// Builds the server with whatever listeners it has, none included:
    /// then only [`Server::connections`] brings it sessions.
    pub async fn build(mut self) -> io::Result<Server> {
        let implicit_bound = self.bound.iter().any(|(_, implicit)| *implicit);
        if (!self.implicit_addresses.is_empty() || implicit_bound) && self.tls.is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "implicit FTPS needs a TLS certificate",
            ));
        }
        let plain = self.addresses.iter().map(|a| (a, false));
        let implicit = self.implicit_addresses.iter().map(|a| (a, true));
        let mut listeners = std::mem::take(&mut self.bound);
        for (address, implicit) in plain.chain(implicit) {
            let listener = TcpListener::bind(address).await.map_err(|e| {
                io::Error::new(e.kind(), format!("cannot listen on {address}: {e}"))
            })?;
            listeners.push((listener, implicit));
        }
        let options = self.options;
        let ports = match self.ports {
            Some(ports) => ports,
            None => socket_ports(&options, &listeners).await?,
        };
        let ctx = ServerContext {
            ports,
            public_address: PublicAddresses::new(
                options.public_address.clone(),
                &options.public_address_overrides,
                options.public_address_ttl,
            ),
            defence: Defence {
                limits: Arc::new(Limits::new(options.session_caps())),
                guard: self
                    .login_guard
                    .unwrap_or_else(|| Arc::new(MemoryLoginGuard::new(options.login_ban))),
            },
            authenticator: self.authenticator,
            virtual_hosts: self.virtual_hosts,
            tls: self.tls,
            #[cfg(feature = "usage")]
            usage_ledger: self.usage_ledger,
            downloads: Downloads::new(
                options.local_downloads,
                std::thread::available_parallelism().map_or(1, usize::from),
            ),
            server_throttles: (
                Throttle::new(options.server_download_rate).map(Arc::new),
                Throttle::new(options.server_upload_rate).map(Arc::new),
            ),
            observers: self.observers,
            last_session: Arc::new(AtomicU64::new(0)),
            options,
        };
        let (stop, stopped) = watch::channel(false);
        Ok(Server {
            listeners,
            connections: Connections {
                current: Arc::new(RwLock::new(Arc::new(ctx))),
                sessions: TaskTracker::new(),
                stopped,
            },
            stop,
        })
    }
}

/// A bound FTP server; [`Server::run_until`] serves it.
pub struct Server {
    /// Each listener, and whether it is implicit FTPS.
    listeners: Vec<(TcpListener, bool)>,
    connections: Connections,
    stop: watch::Sender<bool>,
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
        ServerBuilder {
            authenticator,
            virtual_hosts: HashMap::new(),
            options: Options::default(),
            addresses: Vec::new(),
            implicit_addresses: Vec::new(),
            bound: Vec::new(),
            tls: None,
            #[cfg(feature = "usage")]
            usage_ledger: None,
            login_guard: None,
            ports: None,
            observers: Observers::default(),
        }
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

/// Data connections over sockets: a listener per passive offer, or, with
/// multiplexing, shared listeners on every address the server listens on.
async fn socket_ports(
    options: &Options,
    listeners: &[(TcpListener, bool)],
) -> io::Result<Arc<dyn DataPorts>> {
    let multiplexer = if options.passive_multiplex {
        let Some(range) = options.passive_ports.clone() else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "passive multiplexing needs a passive port range",
            ));
        };
        let mut ips: Vec<IpAddr> = Vec::new();
        for (listener, _) in listeners {
            let ip = listener.local_addr()?.ip();
            if !ips.contains(&ip) {
                ips.push(ip);
            }
        }
        Some(Multiplexer::start(&ips, range.collect()).await?)
    } else {
        None
    };
    Ok(Arc::new(SocketPorts {
        passive: PassivePorts::new(
            options.passive_ports.clone(),
            options.max_passive_per_ip,
            options.ipv6_prefix,
        ),
        multiplexer,
        wait: options.passive_multiplex_wait,
        keepalive: options.keepalive,
        connect_timeout: options.data_connect_timeout,
    }))
}

async fn accept_loop(listener: TcpListener, implicit: bool, connections: Connections) {
    let mut stopped = connections.stopped.clone();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.changed() => return,
        };
        match accepted {
            Ok((stream, peer)) => connections.serve(stream, peer, implicit),
            Err(e) => {
                // Out of file descriptors and the like: back off briefly.
                warn!("accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}
