//! The FTP session engine of Wharf, on tokio.
//!
//! A [`Server`] accepts control connections and runs one task per session:
//! it decodes commands with `wharf-proto`, keeps each session's state in a
//! plain struct, serves files from whatever `wharf-vfs` back-end the
//! [`Authenticator`] hands the user, and moves data over passive (PASV,
//! EPSV, a port range, an announced public address for NAT) or active
//! (PORT, EPRT, with bounce protection) data connections.
//!
//! What a user may do is the [`Login`]'s [`PathRules`]: [`Permission`]s by
//! path prefix, checked on every verb (`550 <path>: permission denied
//! (upload).`); a user's tree made of several stores is a
//! [`wharf_vfs::MountFs`].
//!
//! # Features
//!
//! - `users` (default): [`UserList`], accounts with argon2id password
//!   hashes. Turn it off (`default-features = false`) when your own
//!   [`Authenticator`] decides, and argon2 is not built.
//! - `usage` (default): the [`usage`] ledger, per-account usage, quotas
//!   and rate limits kept in a store ([`ServerBuilder::usage_ledger`]). A [`Login`]'s own [`QuotaHook`]
//!   works without it.
//! - `shared-state` (default): [`shared`], failed-login counts, bans and
//!   per-address session counts kept in a store a fleet shares
//!   ([`ServerBuilder::login_guard`], [`ServerBuilder::session_registry`]).
//!
//! ```no_run
//! use std::sync::Arc;
//! use wharf_session::{Server, UserList};
//! use wharf_vfs::MemoryFs;
//!
//! # async fn run() -> std::io::Result<()> {
//! let storage = Arc::new(MemoryFs::new());
//! let users = UserList::new()
//!     .with_password("alice", b"secret", storage, true)
//!     .expect("hashing works");
//! let server = Server::builder(users)
//!     .listen("127.0.0.1:2121".parse().unwrap())
//!     .passive_ports(50000..=50100)
//!     .bind()
//!     .await?;
//! // Whoever holds `stop` (a signal handler, an admin API) ends the server:
//! // it stops accepting, lets transfers finish, and closes sessions with 421.
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! # drop(stop);
//! server.run_until(async { let _ = stopped.await; }).await
//! # }
//! ```

/// The README's example, compiled with the doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod access;
mod auth;
mod builder;
mod commands;
mod connections;
mod data;
pub mod defence;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod link;
#[cfg(any(feature = "usage", feature = "shared-state"))]
mod locked_file;
mod network;
pub mod observe;
mod options;
mod permissions;
mod proxy;
mod quota;
mod reload;
mod server;
mod session;
#[cfg(feature = "shared-state")]
pub mod shared;
#[cfg(test)]
#[macro_use]
mod testkit;
mod throttle;
mod tls;
#[cfg(test)]
mod transcripts;
#[cfg(feature = "usage")]
pub mod usage;
#[cfg(feature = "users")]
mod users;
#[cfg(feature = "users")]
mod verified;

pub use access::{AccessList, AccessRefusal};
pub use auth::{AuthContext, AuthError, Authenticator, FnAuthenticator, Login};
pub use builder::ServerBuilder;
pub use connections::Connections;
pub use network::{IpNetwork, NetworkError};
pub use observe::{Observer, ServerStats};
pub use options::{Keepalive, LocalDownloads, Options, PublicAddress, SpliceUploads, TlsPolicy};
pub use permissions::{PathRules, Permission, Permissions, UnknownPermission};
pub use proxy::{ListenerKind, ProxyHeaderError, ProxyListeners, ProxyProtocol};
pub use quota::{Direction, QuotaExceeded, QuotaHook, QuotaStatus};
pub use reload::Reload;
pub use server::Server;
pub use throttle::Throttle;
pub use tls::{CertificatePem, ReloadableCert, TlsConfig, TlsError};
#[cfg(feature = "users")]
pub use users::{HashError, UserList, hash_password};
// The crates an embedder needs beside this one, at the versions it uses.
pub use wharf_proto;
pub use wharf_vfs;
