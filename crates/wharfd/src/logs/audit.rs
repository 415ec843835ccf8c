//! The audit log: one JSON object per line for every session, login,
//! command and transfer. The field names are stable (docs/operations.md
//! gives the schema); new fields may be added, none renamed.
//!
//! Every object has `time` (RFC 3339, UTC, milliseconds), `event`,
//! `session` (the session's id), `client` (its IP address) and `user`
//! (null before login). By event:
//! - `session_open`, `session_close`: `server` (the address reached),
//!   `implicit_tls`, `tls`.
//! - `login`: `result` (`accepted`, `rejected`, `unavailable`); `user` is
//!   the name tried.
//! - `command`: `verb`, `argument` (null without one; `***` for PASS and
//!   ACCT), `reply` (the code).
//! - `transfer`: `verb`, `path`, `kind` (`download`, `upload`,
//!   `listing`), `bytes`, `seconds`, `ascii`, `status` (`complete`,
//!   `failed`, `aborted`), `reply` (null when the control connection was
//!   gone).

use chrono::{SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use wharf_session::observe::{
    CommandRecord, LoginResult, SessionInfo, TransferKind, TransferRecord, TransferStatus,
};

/// The fields every event has.
fn event(name: &str, session: &SessionInfo<'_>, user: Option<&str>) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert(
        "time".into(),
        Utc::now()
            .to_rfc3339_opts(SecondsFormat::Millis, true)
            .into(),
    );
    object.insert("event".into(), name.into());
    object.insert("session".into(), session.id.into());
    object.insert(
        "client".into(),
        session.peer.ip().to_canonical().to_string().into(),
    );
    object.insert("user".into(), user.into());
    object
}

fn finish(mut object: Map<String, Value>, fields: Value) -> String {
    if let Value::Object(fields) = fields {
        object.extend(fields);
    }
    Value::Object(object).to_string()
}

pub(crate) fn session(name: &str, session: &SessionInfo<'_>) -> String {
    finish(
        event(name, session, session.user),
        json!({
            "server": session.local.to_string(),
            "implicit_tls": session.implicit_tls,
            "tls": session.tls,
        }),
    )
}

pub(crate) fn login(session: &SessionInfo<'_>, user: &str, result: LoginResult) -> String {
    let result = match result {
        LoginResult::Accepted => "accepted",
        LoginResult::Rejected => "rejected",
        _ => "unavailable",
    };
    finish(
        event("login", session, Some(user)),
        json!({ "result": result }),
    )
}

pub(crate) fn command(session: &SessionInfo<'_>, command: &CommandRecord<'_>) -> String {
    finish(
        event("command", session, session.user),
        json!({
            "verb": command.verb,
            "argument": command.argument,
            "reply": command.reply.get(),
        }),
    )
}

pub(crate) fn transfer(session: &SessionInfo<'_>, transfer: &TransferRecord<'_>) -> String {
    let kind = match transfer.kind {
        TransferKind::Download => "download",
        TransferKind::Upload => "upload",
        _ => "listing",
    };
    let status = match transfer.status {
        TransferStatus::Complete => "complete",
        TransferStatus::Failed => "failed",
        _ => "aborted",
    };
    finish(
        event("transfer", session, session.user),
        json!({
            "verb": transfer.verb,
            "path": transfer.path.to_string(),
            "kind": kind,
            "bytes": transfer.bytes,
            "seconds": transfer.elapsed.as_secs_f64(),
            "ascii": transfer.ascii,
            "status": status,
            "reply": transfer.reply.map(|code| code.get()),
        }),
    )
}
