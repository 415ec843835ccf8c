//! What each event carries. Records borrow from the session that reports
//! them: an observer that keeps one copies what it needs.

use std::net::SocketAddr;
use std::time::Duration;

use wharf_proto::ReplyCode;
use wharf_vfs::VPath;

/// The session an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionInfo<'a> {
    /// Unique within the server's run, counting from 1.
    pub id: u64,
    /// The client: the socket's peer, or the address a PROXY header named.
    pub peer: SocketAddr,
    /// The address the client reached (the listener's).
    pub local: SocketAddr,
    /// The session began with a TLS handshake (implicit FTPS).
    pub implicit_tls: bool,
    /// The control connection is under TLS now (implicit, or after `AUTH TLS`).
    pub tls: bool,
    /// The logged-in user, once there is one.
    pub user: Option<&'a str>,
    /// The user is the anonymous one (as the authenticator says).
    pub anonymous: bool,
}

/// Why a connection was closed before its session began.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectionRefusal {
    /// A session limit: in all, per address, or not yet logged in (`421`).
    Limit,
    /// The client's address group is banned after failed logins (`421`).
    Banned,
    /// The server's access list does not accept the client's address
    /// (`421`).
    AccessList,
}

/// How a login ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LoginResult {
    /// `230`.
    Accepted,
    /// Wrong password, unknown user, or a login the rules forbid (`530`).
    Rejected,
    /// The check could not be made now: too many password checks waiting,
    /// or the authenticator's back end unreachable (`421`).
    Unavailable,
}

/// One answered command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommandRecord<'a> {
    /// The verb in upper case, as in [`wharf_proto::Command::verb`].
    pub verb: &'static str,
    /// The argument as the client sent it (lossily UTF-8); `PASS` and
    /// `ACCT` arguments are replaced by `***`.
    pub argument: Option<&'a str>,
    /// The reply's code: the last one sent for the command (`150` for a
    /// transfer that started).
    pub reply: ReplyCode,
}

/// What a transfer moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransferKind {
    /// RETR: server to client.
    Download,
    /// STOR, APPE, STOU: client to server.
    Upload,
    /// LIST, NLST, MLSD: a listing, server to client.
    Listing,
}

/// How a transfer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransferStatus {
    /// `226`: every byte arrived (and, for uploads, was stored).
    Complete,
    /// An error on the data connection or in storage, a quota, a timeout.
    Failed,
    /// `ABOR`, or the control connection closed while it ran.
    Aborted,
}

/// One transfer that ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransferRecord<'a> {
    /// The command that started it: RETR, STOR, APPE, STOU, LIST, NLST or MLSD.
    pub verb: &'static str,
    /// The file or directory, in the user's view.
    pub path: &'a VPath,
    /// A download, an upload or a listing.
    pub kind: TransferKind,
    /// Bytes moved on the data connection, as the client counts them.
    pub bytes: u64,
    /// From the `150` to the end.
    pub elapsed: Duration,
    /// TYPE A (ASCII) rather than TYPE I.
    pub ascii: bool,
    /// How it ended.
    pub status: TransferStatus,
    /// The final reply's code, when one was sent (not after the control
    /// connection closed).
    pub reply: Option<ReplyCode>,
}

/// Which connection a TLS handshake was on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsChannel {
    /// Implicit FTPS, or `AUTH TLS`.
    Control,
    /// A data connection under `PROT P`.
    Data,
}

/// How a TLS handshake ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HandshakeResult {
    /// The connection is encrypted.
    Completed,
    /// A protocol error, a bad certificate, a closed connection.
    Failed,
    /// The handshake took longer than its limit.
    TimedOut,
    /// A data connection that completed its handshake without resuming the
    /// control connection's TLS session, refused as the server requires.
    ResumptionRefused,
}
