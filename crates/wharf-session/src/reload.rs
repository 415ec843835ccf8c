//! Changing a running server's settings; see [`Reload`].

use std::collections::HashMap;
use std::sync::Arc;

use crate::auth::Authenticator;
use crate::connections::Connections;
use crate::data::passive::PublicAddresses;
use crate::defence::Defence;
use crate::options::Options;
use crate::session::ServerContext;
use crate::throttle::Throttle;

/// New settings for a running server, given to [`Connections::reload`]:
/// sessions that start afterwards get them, sessions already running keep
/// theirs (their login, their limits, their virtual host) until they end.
///
/// A reload carries new options and authenticators. What the server bound
/// or built at start stays: its listeners, the passive port range and
/// multiplexing (with the per-address cap, its wait and TCP keepalive,
/// which the data ports were built with), the grouping of IPv6 addresses
/// and the ban policy (which running counts depend on), the TLS
/// configuration (its certificate reloads on its own, see
/// [`TlsConfig::reload`](crate::TlsConfig::reload)), the usage ledger and
/// the observers. [`Connections::reload`] names the options it kept.
pub struct Reload {
    options: Options,
    authenticator: Arc<dyn Authenticator>,
    virtual_hosts: HashMap<String, Arc<dyn Authenticator>>,
}

impl std::fmt::Debug for Reload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut hosts: Vec<&String> = self.virtual_hosts.keys().collect();
        hosts.sort();
        f.debug_struct("Reload")
            .field("options", &self.options)
            .field("virtual_hosts", &hosts)
            .finish_non_exhaustive()
    }
}

impl Reload {
    /// New sessions are checked by `authenticator` under `options`, with
    /// no virtual hosts unless added.
    pub fn new(authenticator: Arc<dyn Authenticator>, options: Options) -> Self {
        Self {
            options,
            authenticator,
            virtual_hosts: HashMap::new(),
        }
    }

    /// Adds a virtual host, as
    /// [`ServerBuilder::virtual_host`](crate::ServerBuilder::virtual_host)
    /// does.
    pub fn virtual_host(mut self, name: &str, authenticator: Arc<dyn Authenticator>) -> Self {
        self.virtual_hosts
            .insert(crate::builder::virtual_host_key(name), authenticator);
        self
    }
}

/// Puts back into `new` the options fixed at start; the names of those
/// that differed.
fn keep_fixed(new: &mut Options, old: &Options) -> Vec<&'static str> {
    let mut kept = Vec::new();
    macro_rules! keep {
        ($($field:ident),*) => {$(
            if new.$field != old.$field {
                new.$field = old.$field.clone();
                kept.push(stringify!($field));
            }
        )*};
    }
    keep!(
        passive_ports,
        passive_multiplex,
        max_passive_per_ip,
        passive_multiplex_wait,
        keepalive,
        ipv6_prefix,
        login_ban
    );
    kept
}

/// The same throttle when the rate did not change (its pacing goes on),
/// else one at the new rate.
fn throttle(old: &Option<Arc<Throttle>>, rate: u64) -> Option<Arc<Throttle>> {
    match old {
        Some(throttle) if throttle.bytes_per_second() == rate => Some(throttle.clone()),
        _ => Throttle::new(rate).map(Arc::new),
    }
}

impl ServerContext {
    /// This server with `reload`'s settings; the options it kept.
    fn reloaded(&self, reload: Reload) -> (Self, Vec<&'static str>) {
        let Reload {
            mut options,
            authenticator,
            virtual_hosts,
        } = reload;
        let kept = keep_fixed(&mut options, &self.options);
        self.defence.limits.set_caps(options.session_caps());
        self.ports.set_proxy(options.proxy_protocol.clone());
        let context = Self {
            ports: self.ports.clone(),
            public_address: PublicAddresses::new(
                options.public_address.clone(),
                &options.public_address_overrides,
                options.public_address_ttl,
            ),
            defence: Defence {
                limits: self.defence.limits.clone(),
                guard: self.defence.guard.clone(),
                registry: self.defence.registry.clone(),
            },
            authenticator,
            virtual_hosts,
            tls: self.tls.clone(),
            #[cfg(feature = "usage")]
            usage_ledger: self.usage_ledger.clone(),
            downloads: self.downloads.with_setting(options.local_downloads),
            server_throttles: (
                throttle(&self.server_throttles.0, options.server_download_rate),
                throttle(&self.server_throttles.1, options.server_upload_rate),
            ),
            observers: self.observers.clone(),
            last_session: self.last_session.clone(),
            options,
        };
        (context, kept)
    }
}

impl Connections {
    /// Serves sessions that start from now on with `reload`'s settings;
    /// running sessions keep theirs. Returns the names of the options that
    /// differed but stay as the server started (see [`Reload`]): they
    /// need a restart.
    pub fn reload(&self, reload: Reload) -> Vec<&'static str> {
        let mut current = self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (context, kept) = current.reloaded(reload);
        *current = Arc::new(context);
        kept
    }
}
