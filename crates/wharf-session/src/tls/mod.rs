//! FTPS on rustls (RFC 4217): the TLS configs of a server, and the rules
//! that bind a data connection to its control connection.
//!
//! Two rustls server configs share one certificate resolver, one session
//! cache and one ticketer:
//! - **control** connections get TLS 1.3 tickets (and TLS 1.2 session IDs
//!   or tickets) to resume from;
//! - **data** connections of uploads send no tickets. A TLS 1.3 server
//!   that sends tickets after the handshake leaves them unread in clients
//!   that close right after an upload (curl, lftp), whose kernels then
//!   answer with a reset that can destroy the end of the upload. Data
//!   connections the server sends on (RETR, listings) send
//!   [`DATA_TICKETS`]: the client reads to the end of those anyway, and a
//!   client whose TLS library uses a ticket once (OpenSSL, rustls, curl
//!   since 8.12) has fresh ones for its next data connections.
//!
//! Tickets are stateless (encrypted by the ticketer), so a client can
//! resume the control session for every data connection; single-use
//! stateful TLS 1.3 tickets would let only the first one resume. Each control
//! session stamps a random token into its resumption data, and a data
//! connection passes the reuse check only if it resumed a session carrying
//! its own control session's token: a stranger who reaches the passive port
//! cannot take over the transfer, even from the client's own address. Once
//! logged in, the tokens of its siblings (the same user's other sessions
//! from the same address under the same HOST, see `siblings`) count as its
//! own.

mod certs;
mod data_stream;
mod ended_groups;
mod reuse;
mod siblings;
#[cfg(test)]
mod ticket_tests;

use std::sync::Arc;

use rustls::server::{ServerConfig, ServerSessionMemoryCache};
use rustls::version::{TLS12, TLS13};
use rustls::{HandshakeKind, ServerConnection};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::link::Link;

pub use certs::{CertificatePem, ReloadableCert};
pub(crate) use data_stream::DataStream;
pub(crate) use siblings::Registration;

/// Why TLS could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A PEM file could not be read.
    #[error("cannot read {0}: {1}")]
    Read(std::path::PathBuf, String),
    /// The certificate chain is unusable.
    #[error("certificate: {0}")]
    Certificate(String),
    /// The private key is unusable or does not match.
    #[error("private key: {0}")]
    Key(String),
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Config(String),
}

/// Tickets sent on a data connection the server sends on: one for the
/// client's next upload and one for its next download, the usual pair in
/// a client that mirrors.
pub(crate) const DATA_TICKETS: usize = 2;

/// A random value binding a control session to its data connections.
pub(crate) type SessionToken = [u8; 16];

/// The TLS side of a server: build it once, share it with every session.
pub struct TlsConfig {
    control: TlsAcceptor,
    /// The data config every session's own data config is made from.
    data: Arc<ServerConfig>,
    cert: Arc<ReloadableCert>,
    siblings: Arc<siblings::Siblings>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("cert", &self.cert)
            .finish_non_exhaustive()
    }
}

impl TlsConfig {
    /// TLS 1.2 and 1.3 with rustls' safe defaults (AEAD suites only), from
    /// a certificate in memory.
    pub fn new(pem: &CertificatePem) -> Result<Self, TlsError> {
        Self::build(pem, None)
    }

    /// The same, from PEM files that [`TlsConfig::reload`] reads again.
    pub fn from_files(chain: &std::path::Path, key: &std::path::Path) -> Result<Self, TlsError> {
        let pem = CertificatePem::from_files(chain, key)?;
        Self::build(&pem, Some((chain.to_owned(), key.to_owned())))
    }

    fn build(
        pem: &CertificatePem,
        files: Option<(std::path::PathBuf, std::path::PathBuf)>,
    ) -> Result<Self, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let cert = Arc::new(ReloadableCert::new(pem, provider.clone(), files)?);
        let ticketer =
            rustls::crypto::ring::Ticketer::new().map_err(|e| TlsError::Config(e.to_string()))?;
        let sessions = ServerSessionMemoryCache::new(16 * 1024);
        let config = |tickets: usize| -> Result<Arc<ServerConfig>, TlsError> {
            let mut config = ServerConfig::builder_with_provider(provider.clone())
                .with_protocol_versions(&[&TLS13, &TLS12])
                .map_err(|e| TlsError::Config(e.to_string()))?
                .with_no_client_auth()
                .with_cert_resolver(cert.clone());
            config.ticketer = ticketer.clone();
            config.session_storage = sessions.clone();
            config.send_tls13_tickets = tickets;
            Ok(Arc::new(config))
        };
        Ok(Self {
            control: TlsAcceptor::from(config(2)?),
            data: config(0)?,
            cert,
            siblings: Arc::default(),
        })
    }

    /// Reads the certificate files again (see [`ReloadableCert::reload`]).
    pub fn reload(&self) -> Result<(), TlsError> {
        self.cert.reload()
    }

    /// The certificate resolver, e.g. to watch its files.
    pub fn certificate(&self) -> &Arc<ReloadableCert> {
        &self.cert
    }

    /// Registers a control session for its siblings' data connections (see
    /// `siblings`) until the registration drops. A session registers once,
    /// before its first handshake (see [`TlsConfig::accept_control`]).
    pub(crate) fn register(
        &self,
        ip: std::net::IpAddr,
        ipv6_prefix: u8,
        token: SessionToken,
    ) -> Registration {
        self.siblings.register(ip, ipv6_prefix, token)
    }

    /// Handshakes a control connection, stamping the registration's token
    /// into the session its data connections must resume; gives the
    /// registration back with the stream.
    ///
    /// Only a registered session is handshaken: the handshake's last
    /// flight carries tickets with the token, and a client that keeps one
    /// session cache for all its connections (rclone) may present one on a
    /// sibling's data connection before this task runs again after the
    /// handshake. A registered session that has not logged in admits
    /// nobody else's data connections, so registering early lends it
    /// nothing.
    pub(crate) async fn accept_control(
        &self,
        tcp: Link,
        registration: Registration,
    ) -> std::io::Result<(TlsStream<Link>, Registration)> {
        let token = registration.token();
        let stream = self
            .control
            .accept_with(tcp, move |conn: &mut ServerConnection| {
                conn.set_resumption_data(&token)
            })
            .await?;
        Ok((stream, registration))
    }

    /// Handshakes a data connection of the control session holding
    /// `token`: only that session, or a sibling's, can be resumed (see
    /// `reuse`). With `require_reuse`, a connection that did not resume is
    /// refused, and one that resumed a session from the same address that
    /// has not logged in yet waits for it to log in as a sibling. With
    /// `tickets` (a connection the server sends on), the client gets
    /// [`DATA_TICKETS`] TLS 1.3 tickets carrying the same token.
    pub(crate) async fn accept_data(
        &self,
        tcp: Link,
        token: SessionToken,
        require_reuse: bool,
        tickets: bool,
    ) -> Result<DataStream, DataTlsError> {
        let rule = Arc::new(reuse::Resumption::new(self.siblings.clone(), token));
        let mut config = (*self.data).clone();
        config.send_tls13_tickets = if tickets { DATA_TICKETS } else { 0 };
        config.session_storage = Arc::new(reuse::OwnSessions {
            inner: self.data.session_storage.clone(),
            rule: rule.clone(),
        });
        config.ticketer = Arc::new(reuse::OwnTickets {
            inner: self.data.ticketer.clone(),
            rule: rule.clone(),
        });
        let stream = TlsAcceptor::from(Arc::new(config))
            .accept_with(
                data_stream::buffered(tcp),
                move |conn: &mut ServerConnection| conn.set_resumption_data(&token),
            )
            .await
            .map_err(DataTlsError::Handshake)?;
        if require_reuse {
            let (_, conn) = stream.get_ref();
            let resumed = match (conn.handshake_kind(), rule.resumed()) {
                (Some(HandshakeKind::Resumed), Some(resumed)) => resumed,
                _ => return Err(DataTlsError::NotResumed),
            };
            if !self
                .siblings
                .settle(&token, &resumed, siblings::PENDING_WAIT)
                .await
            {
                return Err(DataTlsError::NotResumed);
            }
        }
        Ok(stream)
    }
}

/// Why a data connection's TLS was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DataTlsError {
    #[error("TLS handshake failed: {0}")]
    Handshake(std::io::Error),
    /// It did not resume this control connection's session.
    #[error("the data connection's TLS session does not resume the control connection's")]
    NotResumed,
}
