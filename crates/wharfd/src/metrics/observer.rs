//! What each event of the session engine adds to the metrics.

use std::net::SocketAddr;

use wharf_session::Direction as QuotaDirection;
use wharf_session::Observer;
use wharf_session::observe::{
    CommandRecord, ConnectionRefusal, HandshakeResult, LoginResult, SessionInfo, TlsChannel,
    TransferKind, TransferRecord, TransferStatus,
};

use super::Metrics;
use super::labels::{
    Command, Direction, Handshake, Kind, Listener, Outcome, QuotaRefusal, Reason, Transfer, class,
};

fn opened_as(session: &SessionInfo<'_>) -> Listener {
    Listener {
        listener: session.local.to_string(),
        tls: if session.implicit_tls {
            "implicit"
        } else {
            "explicit"
        },
    }
}

impl Observer for Metrics {
    fn session_opened(&self, session: &SessionInfo<'_>) {
        let listener = opened_as(session);
        self.sessions_opened.get_or_create(&listener).inc();
        self.sessions_open.get_or_create(&listener).inc();
    }

    fn session_closed(&self, session: &SessionInfo<'_>) {
        self.sessions_open.get_or_create(&opened_as(session)).dec();
        let closed = Listener {
            listener: session.local.to_string(),
            tls: if session.tls { "tls" } else { "clear" },
        };
        self.sessions_closed.get_or_create(&closed).inc();
    }

    fn connection_refused(&self, _peer: SocketAddr, _local: SocketAddr, why: ConnectionRefusal) {
        let reason = match why {
            ConnectionRefusal::Banned => "banned",
            ConnectionRefusal::AccessList => "access_list",
            _ => "limit",
        };
        self.connections_refused
            .get_or_create(&Reason { reason })
            .inc();
    }

    fn login(&self, _session: &SessionInfo<'_>, _user: &str, result: LoginResult) {
        let result = match result {
            LoginResult::Accepted => "accepted",
            LoginResult::Rejected => "rejected",
            _ => "unavailable",
        };
        self.logins.get_or_create(&Outcome { result }).inc();
    }

    fn command(&self, _session: &SessionInfo<'_>, command: &CommandRecord<'_>) {
        let labels = Command {
            verb: command.verb,
            class: class(command.reply.get()),
        };
        self.commands.get_or_create(&labels).inc();
    }

    fn transfer(&self, _session: &SessionInfo<'_>, transfer: &TransferRecord<'_>) {
        let result = match transfer.status {
            TransferStatus::Complete => "complete",
            TransferStatus::Failed => "failed",
            _ => "aborted",
        };
        self.transfers
            .get_or_create(&Transfer {
                verb: transfer.verb,
                result,
            })
            .inc();
        let (kind, direction) = match transfer.kind {
            TransferKind::Upload => ("upload", "received"),
            TransferKind::Download => ("download", "sent"),
            _ => ("listing", "sent"),
        };
        self.transfer_seconds
            .get_or_create(&Kind { kind })
            .observe(transfer.elapsed.as_secs_f64());
        self.bytes
            .get_or_create(&Direction { direction })
            .inc_by(transfer.bytes);
    }

    fn quota_refused(&self, _session: &SessionInfo<'_>, direction: QuotaDirection) {
        let direction = match direction {
            QuotaDirection::Upload => "upload",
            _ => "download",
        };
        self.quota_refusals
            .get_or_create(&QuotaRefusal { direction })
            .inc();
    }

    fn tls_handshake(
        &self,
        _session: &SessionInfo<'_>,
        channel: TlsChannel,
        result: HandshakeResult,
    ) {
        let channel = match channel {
            TlsChannel::Control => "control",
            _ => "data",
        };
        let result = match result {
            HandshakeResult::Completed => "completed",
            HandshakeResult::TimedOut => "timed_out",
            HandshakeResult::ResumptionRefused => "resumption_refused",
            _ => "failed",
        };
        self.tls_handshakes
            .get_or_create(&Handshake { channel, result })
            .inc();
    }
}
