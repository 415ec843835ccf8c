//! The [`Observer`] trait and the list of them a server calls.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::quota::Direction;

use super::records::{
    CommandRecord, ConnectionRefusal, HandshakeResult, LoginResult, SessionInfo, TlsChannel,
    TransferRecord,
};

/// Hears what a server does. Every method has an empty default, so an
/// observer implements only what it needs.
///
/// The methods run on the session's own task, in the order things happen
/// in that session: they must return at once. One that writes files or
/// talks to a network hands the event to a task of its own (a channel),
/// and drops events rather than wait when that task falls behind.
pub trait Observer: Send + Sync + 'static {
    /// A control connection passed the session limits and the ban list.
    fn session_opened(&self, _session: &SessionInfo<'_>) {}

    /// The control connection closed, for whatever reason.
    fn session_closed(&self, _session: &SessionInfo<'_>) {}

    /// A connection was closed before its session began.
    fn connection_refused(&self, _peer: SocketAddr, _local: SocketAddr, _why: ConnectionRefusal) {}

    /// `PASS` (or a login without a password) was decided.
    fn login(&self, _session: &SessionInfo<'_>, _user: &str, _result: LoginResult) {}

    /// A command was answered. Transfers report their final reply through
    /// [`Observer::transfer`]; here they report the preliminary one.
    fn command(&self, _session: &SessionInfo<'_>, _command: &CommandRecord<'_>) {}

    /// A data transfer (a download, an upload or a listing) ended.
    fn transfer(&self, _session: &SessionInfo<'_>, _transfer: &TransferRecord<'_>) {}

    /// A quota refused a transfer before it began, or stopped it (the
    /// transfer is reported too).
    fn quota_refused(&self, _session: &SessionInfo<'_>, _direction: Direction) {}

    /// A TLS handshake on a control or data connection ended.
    fn tls_handshake(
        &self,
        _session: &SessionInfo<'_>,
        _channel: TlsChannel,
        _result: HandshakeResult,
    ) {
    }
}

/// The observers a server calls, in the order they were added.
#[derive(Clone, Default)]
pub(crate) struct Observers(Vec<Arc<dyn Observer>>);

impl Observers {
    pub(crate) fn push(&mut self, observer: Arc<dyn Observer>) {
        self.0.push(observer);
    }

    /// The observers, for a test harness that passes them on.
    #[cfg(test)]
    pub(crate) fn list(self) -> Vec<Arc<dyn Observer>> {
        self.0
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn each(&self, mut call: impl FnMut(&dyn Observer)) {
        for observer in &self.0 {
            call(observer.as_ref());
        }
    }
}

impl std::fmt::Debug for Observers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Observers({})", self.0.len())
    }
}
