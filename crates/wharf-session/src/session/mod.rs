//! One control connection: its state, its command loop, its transfers.

mod control_reader;
mod control_stream;
mod counted;
mod driver;
#[cfg(test)]
mod footprint;
mod observing;
pub(crate) mod params;
pub(crate) mod reply_map;
mod reply_writer;
pub(crate) mod security;
mod serve;
pub(crate) mod state;
mod tls_close;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use tokio::task::JoinHandle;
use wharf_proto::Reply;
use wharf_vfs::VPath;

use crate::auth::Authenticator;
use crate::data::active::PairMemory;
use crate::data::downloads::Downloads;
use crate::data::meter::Limits;
use crate::data::outcome::Finished;
use crate::data::passive::PublicAddresses;
use crate::data::plan::{DataPlan, DataTls, OpenContext};
use crate::data::ports::DataPorts;
use crate::data::transfer::TransferJob;
use crate::data::watchdog::RateFloor;
use crate::observe::{Observers, SessionInfo, TransferKind};
use crate::options::Options;
use crate::quota::QuotaHook;
use crate::throttle::Throttle;
use crate::tls::{SessionToken, TlsConfig};
#[cfg(feature = "usage")]
use crate::usage::{AccountUsage, UsageLedger};
use state::SessionState;

pub(crate) use driver::run_session;

/// The smallest transfer buffer used, whatever the options say.
const MIN_TRANSFER_BUFFER: usize = 4096;

/// What every session of a server shares.
pub(crate) struct ServerContext {
    pub(crate) options: Options,
    pub(crate) authenticator: Arc<dyn Authenticator>,
    /// Virtual hosts selected with HOST, by lower-case name; empty means
    /// any HOST name is accepted and the default authenticator applies.
    pub(crate) virtual_hosts: HashMap<String, Arc<dyn Authenticator>>,
    /// Where data connections come from: sockets, or pipes in tests.
    pub(crate) ports: Arc<dyn DataPorts>,
    pub(crate) public_address: PublicAddresses,
    /// FTPS, when the server has a certificate.
    pub(crate) tls: Option<Arc<TlsConfig>>,
    /// Every account's usage, its quota and its rate limits.
    #[cfg(feature = "usage")]
    pub(crate) usage_ledger: Option<Arc<UsageLedger>>,
    /// Downloads in flight, for choosing how the next one is sent.
    pub(crate) downloads: Downloads,
    /// Session limits, failed-login counts and bans.
    pub(crate) defence: crate::defence::Defence,
    /// Who hears of sessions, logins, commands and transfers.
    pub(crate) observers: Observers,
    /// The last session's id.
    pub(crate) last_session: Arc<AtomicU64>,
    /// The server's bandwidth limits, all sessions together: download,
    /// upload.
    pub(crate) server_throttles: (Option<Arc<Throttle>>, Option<Arc<Throttle>>),
}

impl ServerContext {
    /// The authenticator of the virtual host `host` (HOST's name), or the
    /// default one.
    pub(crate) fn authenticator_for(&self, host: Option<&str>) -> &Arc<dyn Authenticator> {
        host.and_then(|h| self.virtual_hosts.get(h))
            .unwrap_or(&self.authenticator)
    }
}

/// What a command handler asks the driver to do.
pub(crate) enum Outcome {
    /// Send this reply.
    Reply(Reply),
    /// Send this preliminary reply (150) and start the transfer.
    Transfer(Reply, Box<TransferJob>),
    /// Send this reply and close the connection.
    Close(Reply),
    /// Send this reply (234), then start TLS on the control connection.
    StartTls(Reply),
    /// Send this reply (200), then end TLS on the control connection (CCC).
    EndTls(Reply),
}

impl From<Reply> for Outcome {
    fn from(reply: Reply) -> Self {
        Self::Reply(reply)
    }
}

/// A transfer running in its own task while the control loop goes on.
pub(crate) struct RunningTransfer {
    pub(crate) task: JoinHandle<Finished>,
    pub(crate) progress: Arc<AtomicU64>,
    pub(crate) path: VPath,
    pub(crate) verb: &'static str,
    pub(crate) kind: TransferKind,
    /// TYPE A.
    pub(crate) ascii: bool,
    pub(crate) started: Instant,
}

/// A control session.
pub(crate) struct Session {
    pub(crate) ctx: Arc<ServerContext>,
    pub(crate) state: SessionState,
    pub(crate) peer: SocketAddr,
    pub(crate) local: SocketAddr,
    pub(crate) data: DataPlan,
    pub(crate) transfer: Option<RunningTransfer>,
    /// Binds this session's data connections to its TLS session.
    pub(crate) token: SessionToken,
    /// Once the control connection is TLS: its entry among the sessions
    /// whose TLS sessions a sibling's data connections may resume (made
    /// once, before its first handshake: see `sibling_entry`).
    pub(crate) siblings: Option<crate::tls::Registration>,
    /// The logged-in account's counter, with a usage ledger.
    #[cfg(feature = "usage")]
    pub(crate) account: Option<Arc<AccountUsage>>,
    /// This session's own bandwidth limits: download, upload.
    pub(crate) throttles: (Option<Arc<Throttle>>, Option<Arc<Throttle>>),
    /// Control-connection bytes not yet counted to an account.
    pub(crate) control_bytes: Arc<AtomicU64>,
    /// Whether the default data port's pair stayed busy last time.
    pub(crate) default_pair: PairMemory,
    /// Unique within the server's run (for observers).
    pub(crate) id: u64,
    /// Began with a TLS handshake (implicit FTPS).
    pub(crate) implicit: bool,
}

impl Session {
    pub(crate) fn new(
        ctx: Arc<ServerContext>,
        peer: SocketAddr,
        local: SocketAddr,
        implicit: bool,
    ) -> Self {
        Self {
            id: ctx.last_session.fetch_add(1, Ordering::Relaxed) + 1,
            implicit,
            state: SessionState::default(),
            peer,
            local,
            data: DataPlan::None,
            transfer: None,
            throttles: (
                Throttle::new(ctx.options.session_download_rate).map(Arc::new),
                Throttle::new(ctx.options.session_upload_rate).map(Arc::new),
            ),
            token: random_token(),
            siblings: None,
            #[cfg(feature = "usage")]
            account: None,
            control_bytes: Arc::new(AtomicU64::new(0)),
            default_pair: PairMemory::default(),
            ctx,
        }
    }

    /// The session's entry among the TLS siblings, for a control handshake
    /// about to start (see `TlsConfig::accept_control`): made now, or for
    /// an AUTH TLS after CCC the one it has, logged out, since a fresh
    /// login follows the handshake. `None` without TLS.
    pub(crate) fn sibling_entry(&mut self) -> Option<crate::tls::Registration> {
        let tls = self.ctx.tls.as_ref()?;
        Some(match self.siblings.take() {
            Some(registration) => {
                registration.logged_out();
                registration
            }
            None => tls.register(self.peer.ip(), self.ctx.options.ipv6_prefix, self.token),
        })
    }

    /// This session as observers see it now.
    pub(crate) fn info(&self) -> SessionInfo<'_> {
        let user = match &self.state.login {
            state::LoginState::LoggedIn(login) => Some(login.user.as_str()),
            _ => None,
        };
        SessionInfo {
            id: self.id,
            peer: self.peer,
            local: self.local,
            implicit_tls: self.implicit,
            tls: self.state.security.control_tls(),
            user,
            anonymous: user.is_some_and(|user| {
                self.ctx
                    .authenticator_for(self.state.host.as_deref())
                    .is_anonymous(user)
            }),
        }
    }

    pub(crate) fn open_context(&self) -> OpenContext {
        let o = &self.ctx.options;
        OpenContext {
            peer: self.peer.ip(),
            local: self.local.ip(),
            check_peer: o.passive_peer_check,
            timeout: o.data_connect_timeout,
            ports: self.ctx.ports.clone(),
            tls: match (&self.ctx.tls, self.state.security.data()) {
                (Some(config), security::DataProtection::Private) => Some(DataTls {
                    config: config.clone(),
                    token: self.token,
                    require_reuse: o.tls_reuse_required,
                    tickets: false,
                    echo: self.echo(),
                }),
                _ => None,
            },
            proxy: o.proxy_protocol.clone(),
        }
    }

    /// Counts the control bytes seen since the last call to the logged-in
    /// account (before login they wait: the login's own bytes count too).
    pub(crate) fn charge_control(&self) {
        let Ok(login) = self.state.login() else {
            return;
        };
        let bytes = self.control_bytes.swap(0, Ordering::Relaxed);
        if bytes == 0 {
            return;
        }
        #[cfg(feature = "usage")]
        if let Some(account) = &self.account {
            account.record(bytes);
        }
        if let Some(hook) = &login.quota {
            hook.record(bytes);
        }
    }

    /// A new USER or REIN: the last login's account no longer counts.
    pub(crate) fn forget_account(&mut self) {
        if let Some(registration) = &self.siblings {
            registration.logged_out();
        }
        #[cfg(feature = "usage")]
        {
            self.account = None;
        }
    }

    /// The hooks that count this login's traffic: the login's own and the
    /// account's, with a usage ledger.
    pub(crate) fn quota_hooks(&self) -> Result<Vec<Arc<dyn QuotaHook>>, Reply> {
        let login = self.state.login()?;
        let mut hooks: Vec<Arc<dyn QuotaHook>> = Vec::new();
        hooks.extend(login.quota.clone());
        #[cfg(feature = "usage")]
        if let Some(account) = &self.account {
            hooks.push(account.clone());
        }
        Ok(hooks)
    }

    pub(crate) fn limits(&self) -> Limits {
        Limits {
            // A zero buffer would read nothing and take that for the end.
            buffer: self.ctx.options.transfer_buffer.max(MIN_TRANSFER_BUFFER),
            stall: self.ctx.options.data_stall_timeout,
            floor: RateFloor {
                rate: self.ctx.options.min_data_rate,
                window: self.ctx.options.min_data_rate_window,
            },
        }
    }
}

/// A fresh random token per session.
fn random_token() -> SessionToken {
    use password_hash::rand_core::{OsRng, RngCore};
    let mut token = [0u8; 16];
    OsRng.fill_bytes(&mut token);
    token
}
