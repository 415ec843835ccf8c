//! Authentication: who may log in, and what storage they see.
//!
//! An [`Authenticator`] turns a user name and password into a [`Login`]: the
//! name to log, the `Arc<dyn Vfs>` that becomes the user's `/`, and whether
//! they may write. Per-user roots, chroots, read-only accounts and the seed's
//! "storage account name and key as user and password" all fall out of that.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use async_trait::async_trait;
use password_hash::SaltString;
use password_hash::rand_core::OsRng;
use tokio::sync::Semaphore;
use wharf_vfs::Vfs;

use crate::quota::QuotaHook;
use crate::verified::Verified;

/// A successful login.
#[derive(Clone)]
#[non_exhaustive]
pub struct Login {
    /// The user name, for logs.
    pub user: String,
    /// The storage the user sees as `/`.
    pub vfs: Arc<dyn Vfs>,
    /// Whether the user may change anything.
    pub writable: bool,
    /// Traffic accounting and quota for this login, if any.
    pub quota: Option<Arc<dyn QuotaHook>>,
}

impl Login {
    /// A login of `user` to `vfs`, read-write or read-only, without quota.
    pub fn new(user: impl Into<String>, vfs: Arc<dyn Vfs>, writable: bool) -> Self {
        Self {
            user: user.into(),
            vfs,
            writable,
            quota: None,
        }
    }

    /// The same login with a quota hook.
    pub fn with_quota(mut self, quota: Arc<dyn QuotaHook>) -> Self {
        self.quota = Some(quota);
        self
    }
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login")
            .field("user", &self.user)
            .field("writable", &self.writable)
            .field("quota", &self.quota.is_some())
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
}

/// An authenticator from a closure, for embedders.
pub struct FnAuthenticator<F>(F);

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

/// One account of a [`UserList`].
#[derive(Clone)]
struct Account {
    /// An argon2 PHC string.
    hash: String,
    vfs: Arc<dyn Vfs>,
    writable: bool,
}

/// A fixed list of users with argon2-hashed passwords, plus optional
/// anonymous read-only access.
///
/// A user who logs in again with a password argon2 already accepted is
/// checked against a keyed in-memory tag instead (see `verified.rs`): wrong
/// passwords always pay the full argon2 cost.
///
/// At most one argon2 verification per CPU runs at a time; further logins
/// wait their turn. Each verification holds argon2's memory (19 MiB with
/// the default parameters), so without the limit a burst of logins, or
/// anyone opening many connections with wrong passwords, would claim
/// memory in proportion to the burst.
#[derive(Clone, Default)]
pub struct UserList {
    accounts: HashMap<String, Account>,
    anonymous: Option<Arc<dyn Vfs>>,
    tls_exempt: std::collections::HashSet<String>,
    verified: Arc<Verified>,
    hashing: HashingGate,
}

/// The permits for argon2 verifications: one per CPU.
#[derive(Clone)]
struct HashingGate(Arc<Semaphore>);

impl Default for HashingGate {
    fn default() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        Self(Arc::new(Semaphore::new(cpus)))
    }
}

/// A password could not be hashed or a stored hash is not a valid argon2
/// PHC string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("password hash: {0}")]
pub struct HashError(String);

/// Hashes `password` with argon2id and a random salt, as a PHC string
/// (`$argon2id$v=19$...`) fit for a users file.
pub fn hash_password(password: &[u8]) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password, &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| HashError(e.to_string()))
}

impl UserList {
    /// An empty list: nobody can log in.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a user whose password is given in clear; it is hashed now and
    /// only the hash is kept.
    pub fn with_password(
        self,
        user: impl Into<String>,
        password: &[u8],
        vfs: Arc<dyn Vfs>,
        writable: bool,
    ) -> Result<Self, HashError> {
        let hash = hash_password(password)?;
        self.with_hash(user, hash, vfs, writable)
    }

    /// Adds a user by an argon2 PHC hash (as a users file stores it).
    pub fn with_hash(
        mut self,
        user: impl Into<String>,
        hash: impl Into<String>,
        vfs: Arc<dyn Vfs>,
        writable: bool,
    ) -> Result<Self, HashError> {
        let hash = hash.into();
        PasswordHash::new(&hash).map_err(|e| HashError(e.to_string()))?;
        self.accounts.insert(
            user.into(),
            Account {
                hash,
                vfs,
                writable,
            },
        );
        Ok(self)
    }

    /// Whether `user` is known here (an account, or anonymous access when
    /// enabled), so another authenticator can take the rest.
    pub fn knows(&self, user: &str) -> bool {
        let anonymous = user.eq_ignore_ascii_case("anonymous") || user.eq_ignore_ascii_case("ftp");
        self.accounts.contains_key(user) || (anonymous && self.anonymous.is_some())
    }

    /// Exempts `user` from the server's TLS policy (a legacy client that
    /// cannot do TLS, on a trusted network).
    pub fn exempt_from_tls(mut self, user: impl Into<String>) -> Self {
        self.tls_exempt.insert(user.into());
        self
    }

    /// Lets `anonymous` and `ftp` log in read-only to `vfs` with any
    /// password (by convention, an e-mail address).
    pub fn with_anonymous(mut self, vfs: Arc<dyn Vfs>) -> Self {
        self.anonymous = Some(vfs);
        self
    }
}

#[async_trait]
impl Authenticator for UserList {
    fn tls_exempt(&self, user: &str) -> bool {
        self.tls_exempt.contains(user)
    }

    async fn authenticate(
        &self,
        user: &str,
        password: &[u8],
        _context: &AuthContext,
    ) -> Result<Login, AuthError> {
        if let Some(vfs) = &self.anonymous
            && (user.eq_ignore_ascii_case("anonymous") || user.eq_ignore_ascii_case("ftp"))
        {
            return Ok(Login::new("anonymous", vfs.clone(), false));
        }
        let Some(account) = self.accounts.get(user).cloned() else {
            return Err(AuthError::InvalidCredentials);
        };
        if self.verified.check(user, &account.hash, password) {
            return Ok(Login::new(user, account.vfs, account.writable));
        }
        let permit = self
            .hashing
            .0
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| AuthError::Backend(e.to_string()))?;
        // Logins that waited for the same user may find it verified now.
        if self.verified.check(user, &account.hash, password) {
            return Ok(Login::new(user, account.vfs, account.writable));
        }
        // argon2 costs tens of milliseconds of CPU: keep it off the reactor.
        // The permit goes along, so a session that goes away mid-hash does
        // not free its place before the hash is done.
        let password = password.to_vec();
        let hash = account.hash.clone();
        let (verified, password) = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let ok = PasswordHash::new(&hash)
                .map(|parsed| {
                    Argon2::default()
                        .verify_password(&password, &parsed)
                        .is_ok()
                })
                .unwrap_or(false);
            (ok, password)
        })
        .await
        .map_err(|e| AuthError::Backend(e.to_string()))?;
        if !verified {
            return Err(AuthError::InvalidCredentials);
        }
        self.verified.remember(user, &account.hash, &password);
        Ok(Login::new(user, account.vfs, account.writable))
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, SocketAddr};

    use wharf_vfs::MemoryFs;

    use super::*;

    fn context() -> AuthContext {
        AuthContext {
            peer: SocketAddr::from((Ipv4Addr::LOCALHOST, 1)),
            host: None,
        }
    }

    #[tokio::test]
    async fn users_and_anonymous() {
        let vfs: Arc<dyn Vfs> = Arc::new(MemoryFs::new());
        let users = UserList::new()
            .with_password("alice", b"secret", vfs.clone(), true)
            .unwrap()
            .with_anonymous(vfs);
        let login = users
            .authenticate("alice", b"secret", &context())
            .await
            .unwrap();
        assert!(login.writable);
        // Again: the remembered password (no argon2), and a wrong one still
        // refused.
        assert!(
            users
                .authenticate("alice", b"secret", &context())
                .await
                .is_ok()
        );
        assert_eq!(
            users
                .authenticate("alice", b"wrong", &context())
                .await
                .unwrap_err(),
            AuthError::InvalidCredentials
        );
        assert!(
            users
                .authenticate("bob", b"secret", &context())
                .await
                .is_err()
        );
        let anon = users
            .authenticate("FTP", b"me@x", &context())
            .await
            .unwrap();
        assert!(!anon.writable);
    }

    #[tokio::test]
    async fn argon2_runs_only_with_a_permit_and_waiters_reuse_the_result() {
        let vfs: Arc<dyn Vfs> = Arc::new(MemoryFs::new());
        let mut users = UserList::new()
            .with_password("alice", b"secret", vfs, true)
            .unwrap();
        users.hashing = HashingGate(Arc::new(Semaphore::new(1)));
        let users = Arc::new(users);
        let held = users.hashing.0.clone().acquire_owned().await.unwrap();
        let logins: Vec<_> = (0..8)
            .map(|_| {
                let users = users.clone();
                tokio::spawn(
                    async move { users.authenticate("alice", b"secret", &context()).await },
                )
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert!(
            logins.iter().all(|login| !login.is_finished()),
            "no login gets past a taken permit"
        );
        drop(held);
        for login in logins {
            assert!(login.await.unwrap().is_ok());
        }
        assert_eq!(users.hashing.0.available_permits(), 1, "permits come back");
    }

    #[test]
    fn stored_hashes_are_checked() {
        let vfs: Arc<dyn Vfs> = Arc::new(MemoryFs::new());
        assert!(
            UserList::new()
                .with_hash("a", "not a hash", vfs.clone(), true)
                .is_err()
        );
        let hash = hash_password(b"pw").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(UserList::new().with_hash("a", hash, vfs, true).is_ok());
    }
}
