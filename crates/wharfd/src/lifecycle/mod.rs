//! The life of the `wharfd` process around the server: signals, systemd's
//! notifications and watchdog, sockets systemd passes in, and what a
//! reload re-reads.
//!
//! ```text
//! main: activation::take()         before any thread: LISTEN_FDS sockets
//! prepare: Inherited::listen       those sockets, or the configured addresses
//! serve:  Lifecycle::start         signal handlers, certificate file watch
//!         (banner printed)
//!         Lifecycle::ready         READY=1, watchdog
//!         Lifecycle::until_shutdown  SIGHUP: RELOADING=1, reload, READY=1
//!                                  SIGUSR1: reopen log files
//!                                  SIGTERM/SIGINT: STOPPING=1, then the
//!                                  server drains
//! ```
//!
//! The handlers are installed before the banner and `READY=1`, so a signal
//! sent by anyone who saw either never meets the default action (which
//! for SIGHUP and SIGUSR1 ends the process). Once installed, tokio keeps
//! them for the process's life: a SIGHUP during the drain is ignored, not
//! fatal.

pub(crate) mod activation;
mod certificates;
pub(crate) mod notify;
mod reload;
mod signals;

use std::sync::Arc;

use tokio::sync::watch;
use wharf_session::TlsConfig;

pub(crate) use reload::Reload;
pub(crate) use signals::Signals;

/// The running process's lifecycle: see the module documentation.
pub(crate) struct Lifecycle {
    signals: Signals,
    reload: Reload,
}

impl Lifecycle {
    /// Installs the signal handlers and starts watching the certificate
    /// files (if the certificate comes from files). Call it before the
    /// banner is printed.
    pub(crate) fn start(tls: Option<Arc<TlsConfig>>) -> std::io::Result<Self> {
        let signals = Signals::install()?;
        if let Some(tls) = &tls {
            certificates::watch_files(tls);
        }
        Ok(Self {
            signals,
            reload: Reload::new(tls),
        })
    }

    /// Reads the configuration again at each SIGHUP, for the sessions of
    /// `connections` that start afterwards.
    pub(crate) fn reload_configuration(
        &mut self,
        reconfigure: crate::reconfigure::Reconfigure,
        connections: wharf_session::Connections,
    ) {
        self.reload.with_configuration(reconfigure, connections);
    }

    /// Tells systemd the service is up (`READY=1`) and starts the
    /// watchdog pings when systemd asks for them. Call it once every
    /// listener is bound and the banner printed.
    pub(crate) fn ready(&self) {
        notify::ready();
        notify::spawn_watchdog();
    }

    /// Changes after each finished reload (SIGHUP); see
    /// [`Signals::reloads`].
    #[allow(dead_code)] // for subscribers to come; the logs use `reopens`
    pub(crate) fn reloads(&self) -> watch::Receiver<u64> {
        self.signals.reloads()
    }

    /// Changes each time log files should be reopened (SIGUSR1, and after
    /// a reload); see [`Signals::reopens`].
    pub(crate) fn reopens(&self) -> watch::Receiver<u64> {
        self.signals.reopens()
    }

    /// Handles SIGHUP and SIGUSR1 until SIGTERM or SIGINT, then tells
    /// systemd the service is stopping and returns: the future to hand
    /// to `Server::run_until`.
    pub(crate) async fn until_shutdown(self) {
        self.signals.until_shutdown(&self.reload).await;
    }
}
