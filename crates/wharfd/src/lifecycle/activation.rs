//! Socket activation (`sd_listen_fds(3)`): listening sockets that systemd
//! (a `.socket` unit) or `systemd-socket-activate` opened and passed as
//! file descriptors 3, 4, … with `LISTEN_FDS=N` and `LISTEN_PID` = this
//! process. The `listenfd` crate reads them; it checks that each is a TCP
//! listening socket and turns it into a `TcpListener` without our code
//! touching raw descriptors (`unsafe_code` is forbidden here).
//!
//! Passed sockets replace the configured addresses (`--listen`,
//! `--implicit-listen` and their config keys): systemd owns the
//! addresses then. A socket named `ftps` (`FileDescriptorName=ftps` in
//! the `.socket` unit, seen in `LISTEN_FDNAMES`) serves implicit FTPS;
//! every other one plain FTP with AUTH TLS when a certificate is set.

use std::net::SocketAddr;

use anyhow::{Context, Result, anyhow};
use wharf_session::ServerBuilder;

/// The descriptor name that makes a passed socket an implicit FTPS one.
const IMPLICIT_NAME: &str = "ftps";

/// The first passed descriptor.
const FIRST_FD: usize = 3;

/// The sockets passed to this process, taken from the environment.
pub(crate) struct Inherited {
    /// Each socket, and whether it serves implicit FTPS.
    sockets: Vec<(std::net::TcpListener, bool)>,
    /// Why a passed descriptor could not be used, reported by
    /// [`Inherited::listen`] once logging is set up.
    error: Option<String>,
}

/// Takes the passed sockets. Call it first thing in `main`, before any
/// thread exists: `listenfd` unsets `LISTEN_FDS` and `LISTEN_PID` (so
/// nothing wharfd starts inherits them), and changing the environment is
/// only sound while the process has one thread.
pub(crate) fn take() -> Inherited {
    let names: Vec<String> = std::env::var("LISTEN_FDNAMES")
        .map(|names| names.split(':').map(str::to_owned).collect())
        .unwrap_or_default();
    let mut passed = listenfd::ListenFd::from_env();
    let mut sockets = Vec::new();
    for index in 0..passed.len() {
        match passed.take_tcp_listener(index) {
            Ok(Some(socket)) => {
                let implicit = names.get(index).is_some_and(|name| name == IMPLICIT_NAME);
                sockets.push((socket, implicit));
            }
            Ok(None) => {}
            Err(error) => {
                return Inherited {
                    sockets: Vec::new(),
                    error: Some(format!(
                        "socket activation: descriptor {}: {error}",
                        FIRST_FD + index
                    )),
                };
            }
        }
    }
    Inherited {
        sockets,
        error: None,
    }
}

impl Inherited {
    /// Adds the passed sockets to `builder`, or, when there are none, the
    /// configured addresses `listen` (plain) and `implicit` (implicit
    /// FTPS). Needs a tokio runtime.
    pub(crate) fn listen(
        self,
        mut builder: ServerBuilder,
        listen: &[SocketAddr],
        implicit: &[SocketAddr],
    ) -> Result<ServerBuilder> {
        if let Some(error) = self.error {
            return Err(anyhow!(error));
        }
        if self.sockets.is_empty() {
            for address in listen {
                builder = builder.listen(*address);
            }
            for address in implicit {
                builder = builder.implicit_listen(*address);
            }
            return Ok(builder);
        }
        tracing::info!(
            sockets = self.sockets.len(),
            "socket activation: serving the sockets systemd passed; listen addresses of the configuration are not bound"
        );
        for (socket, is_implicit) in self.sockets {
            socket
                .set_nonblocking(true)
                .context("socket activation: cannot make a passed socket non-blocking")?;
            let socket = tokio::net::TcpListener::from_std(socket)
                .context("socket activation: cannot use a passed socket")?;
            builder = if is_implicit {
                builder.implicit_listener(socket)
            } else {
                builder.listener(socket)
            };
        }
        Ok(builder)
    }
}
