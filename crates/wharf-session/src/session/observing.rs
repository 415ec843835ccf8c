//! Telling the server's observers what this session did.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use wharf_proto::{Command, ReplyCode};

use super::{RunningTransfer, Session};
use crate::observe::{
    CommandRecord, HandshakeResult, Observer, SessionEcho, SessionInfo, TlsChannel, TransferRecord,
    TransferStatus,
};

impl Session {
    /// Calls every observer with this session as it is now; nothing is
    /// built when there are none.
    pub(crate) fn observe(&self, call: impl Fn(&dyn Observer, &SessionInfo<'_>)) {
        if self.ctx.observers.is_empty() {
            return;
        }
        let info = self.info();
        self.ctx.observers.each(|o| call(o, &info));
    }

    /// This session's identity for the tasks it starts.
    pub(crate) fn echo(&self) -> SessionEcho {
        let info = self.info();
        SessionEcho {
            observers: self.ctx.observers.clone(),
            id: info.id,
            peer: info.peer,
            local: info.local,
            implicit_tls: info.implicit_tls,
            tls: info.tls,
            user: info.user.map(Arc::from),
            anonymous: info.anonymous,
        }
    }

    pub(crate) fn observe_handshake(&self, channel: TlsChannel, result: HandshakeResult) {
        self.observe(|o, s| o.tls_handshake(s, channel, result));
    }

    /// The argument observers see: as sent, but never a password.
    pub(super) fn observed_argument(&self, command: &Command) -> Option<String> {
        if self.ctx.observers.is_empty() {
            return None;
        }
        if matches!(command, Command::Pass(_) | Command::Acct(_)) {
            return Some("***".to_owned());
        }
        let line = command.to_bytes();
        let argument = line
            .strip_prefix(command.verb().as_bytes())?
            .strip_prefix(b" ")?
            .strip_suffix(b"\r\n")?;
        Some(String::from_utf8_lossy(argument).into_owned())
    }

    pub(super) fn observe_command(
        &self,
        verb: &'static str,
        argument: Option<&str>,
        reply: ReplyCode,
    ) {
        self.observe(|o, s| {
            o.command(
                s,
                &CommandRecord {
                    verb,
                    argument,
                    reply,
                },
            );
        });
    }

    /// Reports a transfer that ended; `bytes` is what it moved when it
    /// completed, otherwise what it had moved so far.
    pub(crate) fn report_transfer(
        &self,
        running: &RunningTransfer,
        status: TransferStatus,
        bytes: Option<u64>,
        reply: Option<ReplyCode>,
    ) {
        let bytes = bytes.unwrap_or_else(|| running.progress.load(Ordering::Relaxed));
        self.observe(|o, s| {
            o.transfer(
                s,
                &TransferRecord {
                    verb: running.verb,
                    path: &running.path,
                    kind: running.kind,
                    bytes,
                    elapsed: running.started.elapsed(),
                    ascii: running.ascii,
                    status,
                    reply,
                },
            );
        });
    }
}
