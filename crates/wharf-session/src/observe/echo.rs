//! A session's identity carried into the tasks it starts (a data
//! connection's TLS handshake), so that they can report to observers.

use std::net::SocketAddr;
use std::sync::Arc;

use super::observer::Observers;
use super::records::{HandshakeResult, SessionInfo, TlsChannel};

/// What observers know of a session, owned.
#[derive(Debug, Clone)]
pub(crate) struct SessionEcho {
    pub(crate) observers: Observers,
    pub(crate) id: u64,
    pub(crate) peer: SocketAddr,
    pub(crate) local: SocketAddr,
    pub(crate) implicit_tls: bool,
    pub(crate) tls: bool,
    pub(crate) user: Option<Arc<str>>,
    pub(crate) anonymous: bool,
}

impl SessionEcho {
    fn info(&self) -> SessionInfo<'_> {
        SessionInfo {
            id: self.id,
            peer: self.peer,
            local: self.local,
            implicit_tls: self.implicit_tls,
            tls: self.tls,
            user: self.user.as_deref(),
            anonymous: self.anonymous,
        }
    }

    /// A data connection's TLS handshake ended.
    pub(crate) fn data_handshake(&self, result: HandshakeResult) {
        if self.observers.is_empty() {
            return;
        }
        let info = self.info();
        self.observers
            .each(|o| o.tls_handshake(&info, TlsChannel::Data, result));
    }
}
