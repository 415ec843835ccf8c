//! [`ServerBuilder`]: what a server serves and how, then its listeners
//! bound and its shared state built.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, RwLock};

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::task::TaskTracker;
use wharf_proto::host::HostName;

use crate::auth::Authenticator;
use crate::connections::Connections;
use crate::data::downloads::Downloads;
use crate::data::multiplex::Multiplexer;
use crate::data::passive::{PassivePorts, PublicAddresses};
use crate::data::ports::DataPorts;
use crate::data::socket_ports::SocketPorts;
use crate::defence::limits::Limits;
use crate::defence::{Defence, LoginGuard, MemoryLoginGuard, SessionRegistry};
use crate::observe::{Observer, Observers};
use crate::options::{Options, PublicAddress};
use crate::server::Server;
use crate::session::ServerContext;
use crate::throttle::Throttle;
use crate::tls::TlsConfig;
#[cfg(feature = "usage")]
use crate::usage::UsageLedger;

/// The key a virtual host named `name` is found under: the text HOST's
/// argument parses to (`HostName`'s display: a domain in lower case
/// without its trailing dot, an IP literal in its canonical form), which is
/// what a session looks up; a name HOST could never send is kept in lower
/// case, so that it stays unreachable rather than refused at start.
pub(crate) fn virtual_host_key(name: &str) -> String {
    HostName::parse(name.as_bytes()).map_or_else(
        || name.trim_end_matches('.').to_ascii_lowercase(),
        |host| host.to_string(),
    )
}

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
    session_registry: Option<Arc<dyn SessionRegistry>>,
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
    pub(crate) fn new(authenticator: Arc<dyn Authenticator>) -> Self {
        Self {
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
            session_registry: None,
            ports: None,
            observers: Observers::default(),
        }
    }

    /// Keeps failed-login counts and bans in `guard` (one shared by a
    /// fleet, say) instead of this server's memory by
    /// [`Options::login_ban`].
    pub fn login_guard(mut self, guard: Arc<dyn LoginGuard>) -> Self {
        self.login_guard = Some(guard);
        self
    }

    /// Holds [`Options::max_sessions_per_ip`] across every server sharing
    /// `registry` too (asked when a session starts and when it ends): the
    /// session over it gets the same `421` as one over this server's own
    /// count.
    pub fn session_registry(mut self, registry: Arc<dyn SessionRegistry>) -> Self {
        self.session_registry = Some(registry);
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
    #[cfg(any(test, feature = "fuzzing"))]
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
    /// without regard to case or a trailing dot; `[IP]` literals are names
    /// too, matched by the address however either side writes it
    /// (`[0:0::1]` is `[::1]`). Once any virtual host exists, HOST with an
    /// unknown name is refused.
    pub fn virtual_host(mut self, name: &str, authenticator: Arc<dyn Authenticator>) -> Self {
        self.virtual_hosts
            .insert(virtual_host_key(name), authenticator);
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
                registry: self.session_registry,
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
        Some(Multiplexer::start(&ips, range.collect(), options.proxy_protocol.clone()).await?)
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
