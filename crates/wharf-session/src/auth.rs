//! Authentication: who may log in, and what storage they see.
//!
//! An [`Authenticator`] turns a user name and password into a [`Login`]: the
//! name to log, the `Arc<dyn Vfs>` that becomes the user's `/`, and what
//! they may do where ([`PathRules`]). Per-user roots, chroots, read-only accounts and the seed's
//! "storage account name and key as user and password" all fall out of that.
//! The built-in authenticator, a list of users with argon2 hashes, is in
//! `users.rs`.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use wharf_vfs::Vfs;

use crate::access::AccessList;
use crate::permissions::PathRules;
use crate::quota::{Direction, QuotaHook};
use crate::throttle::Throttle;

/// A successful login.
#[derive(Clone)]
#[non_exhaustive]
pub struct Login {
    /// The user name, for logs.
    pub user: String,
    /// The storage the user sees as `/`.
    pub vfs: Arc<dyn Vfs>,
    /// What the user may do, per path: checked by the session on every
    /// verb, refused with `550 <path>: permission denied (<permission>).`
    pub permissions: PathRules,
    /// Counts this login's usage and enforces its quota, if any.
    pub quota: Option<Arc<dyn QuotaHook>>,
    /// Bandwidth limits this login shares with others (its user's, its
    /// virtual host's): downloads, then uploads.
    pub rate_limits: (Vec<Arc<Throttle>>, Vec<Arc<Throttle>>),
    /// The addresses this user may log in from, checked by the engine
    /// after the authenticator accepted the password. A refused login gets
    /// the reply of a wrong password (`530 Login incorrect.`, after the
    /// same delay, counted toward the session's failed logins), so the
    /// client cannot tell that the password was right; it does not count
    /// toward address bans, and it is logged as `login refused by the
    /// access list`, not as `authentication failed`. Empty (the default):
    /// any address.
    pub access: AccessList,
}

impl Login {
    /// A login of `user` to `vfs`, read-write ([`PathRules::full`]) or
    /// read-only ([`PathRules::read_only`]), without quota.
    pub fn new(user: impl Into<String>, vfs: Arc<dyn Vfs>, writable: bool) -> Self {
        let permissions = if writable {
            PathRules::full()
        } else {
            PathRules::read_only()
        };
        Self {
            user: user.into(),
            vfs,
            permissions,
            quota: None,
            rate_limits: (Vec::new(), Vec::new()),
            access: AccessList::default(),
        }
    }

    /// The same login, held to `throttle` in `direction` as well: give
    /// every login of a user (or of a virtual host) the same throttle, and
    /// all their sessions together keep to its rate.
    pub fn with_rate_limit(mut self, direction: Direction, throttle: Arc<Throttle>) -> Self {
        match direction {
            Direction::Download => self.rate_limits.0.push(throttle),
            Direction::Upload => self.rate_limits.1.push(throttle),
        }
        self
    }

    /// The same login with `permissions` in place of the preset
    /// [`Login::new`] chose.
    pub fn with_permissions(mut self, permissions: PathRules) -> Self {
        self.permissions = permissions;
        self
    }

    /// The same login with a quota hook.
    pub fn with_quota(mut self, quota: Arc<dyn QuotaHook>) -> Self {
        self.quota = Some(quota);
        self
    }

    /// The same login, allowed only from the addresses `access` accepts.
    pub fn with_access(mut self, access: AccessList) -> Self {
        self.access = access;
        self
    }
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login")
            .field("user", &self.user)
            .field("permissions", &self.permissions)
            .field("quota", &self.quota.is_some())
            .field("rate_limits", &self.rate_limits)
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}

/// What the authenticator knows of the connection.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AuthContext {
    /// The client's address.
    pub peer: SocketAddr,
    /// The name sent with HOST, if any.
    pub host: Option<String>,
}

impl AuthContext {
    /// The context of a login from `peer` after `HOST host` (if any): for
    /// an embedder's tests of its own authenticator.
    pub fn new(peer: SocketAddr, host: Option<String>) -> Self {
        Self { peer, host }
    }
}

/// Why a login failed. The client sees `530` either way; the reason is
/// for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Unknown user or wrong password (deliberately one case).
    #[error("invalid user name or password")]
    InvalidCredentials,
    /// The back-end behind the authenticator failed.
    #[error("authentication back-end failed: {0}")]
    Backend(String),
    /// Too many logins are waiting for a password check; the client gets
    /// `421` at once and may retry. Not a failed login.
    #[error("too many logins waiting for a password check")]
    Busy,
}

/// Decides who may log in.
#[async_trait]
pub trait Authenticator: Send + Sync {
    /// Checks `user` and `password`. Called after `PASS`; the engine delays
    /// and counts failures itself.
    async fn authenticate(
        &self,
        user: &str,
        password: &[u8],
        context: &AuthContext,
    ) -> Result<Login, AuthError>;

    /// Whether `user` is exempt from the server's TLS policy (asked at
    /// USER, before any password). None is, by default.
    fn tls_exempt(&self, user: &str) -> bool {
        let _ = user;
        false
    }

    /// Whether `user` is this authenticator's anonymous login (any
    /// password, read-only), the one [`TlsPolicy::exempt_anonymous`]
    /// exempts. Asked at USER. None is, by default: an account that merely
    /// bears the name `ftp` or `anonymous` is a real account.
    ///
    /// [`TlsPolicy::exempt_anonymous`]: crate::TlsPolicy::exempt_anonymous
    fn is_anonymous(&self, user: &str) -> bool {
        let _ = user;
        false
    }
}

/// An authenticator from a closure, for embedders.
pub struct FnAuthenticator<F>(F);

impl<F> std::fmt::Debug for FnAuthenticator<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FnAuthenticator")
    }
}

impl<F> FnAuthenticator<F>
where
    F: Fn(&str, &[u8], &AuthContext) -> Result<Login, AuthError> + Send + Sync,
{
    /// Wraps `check`.
    pub fn new(check: F) -> Self {
        Self(check)
    }
}

#[async_trait]
impl<F> Authenticator for FnAuthenticator<F>
where
    F: Fn(&str, &[u8], &AuthContext) -> Result<Login, AuthError> + Send + Sync,
{
    async fn authenticate(
        &self,
        user: &str,
        password: &[u8],
        context: &AuthContext,
    ) -> Result<Login, AuthError> {
        (self.0)(user, password, context)
    }
}
