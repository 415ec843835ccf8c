//! What a server reports as it works, for metrics, transfer logs and audit
//! trails: an [`Observer`] given to
//! [`ServerBuilder::observer`](crate::ServerBuilder::observer) hears of
//! every session, login, command, transfer and TLS handshake, with the
//! client's address as the server knows it (a PROXY header's, when one
//! named it).
//!
//! | file | holds |
//! |---|---|
//! | `observer.rs` | [`Observer`], and `Observers`, the list a server calls |
//! | `records.rs` | what each event carries: [`SessionInfo`], [`TransferRecord`], ... |
//! | `stats.rs` | [`ServerStats`]: gauges read when asked (sessions, ports, bans) |

mod echo;
mod observer;
mod records;
mod stats;

pub(crate) use echo::SessionEcho;
pub use observer::Observer;
pub(crate) use observer::Observers;
pub use records::{
    CommandRecord, ConnectionRefusal, HandshakeResult, LoginResult, SessionInfo, TlsChannel,
    TransferKind, TransferRecord, TransferStatus,
};
pub use stats::ServerStats;
