//! [`UserList`]: a fixed list of users with argon2id password hashes, and
//! optional anonymous read-only access.

use std::collections::HashMap;
use std::sync::Arc;

use argon2::{Argon2, PasswordHash, PasswordHasher};
use async_trait::async_trait;
use password_hash::SaltString;
use password_hash::rand_core::OsRng;
use wharf_vfs::Vfs;

use crate::access::AccessList;
use crate::auth::{AuthContext, AuthError, Authenticator, Login};
use crate::defence::HashingGate;
use crate::defence::hashing::{DummyHash, verify};
use crate::permissions::PathRules;
use crate::quota::Direction;
use crate::throttle::Throttle;
use crate::verified::Verified;

/// One account of a [`UserList`].
#[derive(Clone)]
struct Account {
    /// An argon2 PHC string.
    hash: String,
    vfs: Arc<dyn Vfs>,
    writable: bool,
    /// All of this user's sessions together: download, upload.
    rates: Rates,
}

/// Throttles for downloads and uploads.
type Rates = (Option<Arc<Throttle>>, Option<Arc<Throttle>>);

fn rates(download: u64, upload: u64) -> Rates {
    (
        Throttle::new(download).map(Arc::new),
        Throttle::new(upload).map(Arc::new),
    )
}

/// `login` held to each throttle of `rates`.
fn limited(mut login: Login, rates: &Rates) -> Login {
    if let Some(throttle) = &rates.0 {
        login = login.with_rate_limit(Direction::Download, throttle.clone());
    }
    if let Some(throttle) = &rates.1 {
        login = login.with_rate_limit(Direction::Upload, throttle.clone());
    }
    login
}

/// A fixed list of users with argon2-hashed passwords, plus optional
/// anonymous read-only access.
///
/// A user who logs in again with a password argon2 already accepted is
/// checked against a keyed in-memory tag instead (see `verified.rs`): wrong
/// passwords always pay the full argon2 cost.
///
/// argon2 runs behind a [`HashingGate`]: one verification per CPU at a
/// time (each holds 19 MiB with the default parameters), a bounded queue of
/// logins waiting, and a quick refusal past it.
///
/// An unknown user name costs what a wrong password does: the password is
/// checked, through the same gate, against a dummy hash made (once, when
/// the first account is added) with that account's parameters, so the
/// time of the answer does not tell which names exist.
#[derive(Clone, Default)]
pub struct UserList {
    accounts: HashMap<String, Account>,
    anonymous: Option<Arc<dyn Vfs>>,
    tls_exempt: std::collections::HashSet<String>,
    /// Where each restricted user may log in from; the others, anywhere.
    access: HashMap<String, AccessList>,
    /// What each user given rules may do where; the others, what their
    /// `writable` flag says.
    permissions: HashMap<String, PathRules>,
    verified: Arc<Verified>,
    hashing: HashingGate,
    /// The first account's hash: the dummy hash takes its parameters.
    template: Option<String>,
    dummy: Arc<DummyHash>,
    /// Every login of this list together (a virtual host's users).
    rates: Rates,
}

/// Names and flags only: password hashes (which an attacker could try to
/// crack) and storage handles are never printed.
impl std::fmt::Debug for UserList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut users: Vec<(&String, bool)> = self
            .accounts
            .iter()
            .map(|(name, account)| (name, account.writable))
            .collect();
        users.sort();
        f.debug_struct("UserList")
            .field("users (name, writable)", &users)
            .field("anonymous", &self.anonymous.is_some())
            .field("tls_exempt", &self.tls_exempt)
            .field("access", &self.access)
            .field("permissions", &self.permissions)
            .finish_non_exhaustive()
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
        if self.template.is_none() {
            // The dummy is made now, with the first account's parameters:
            // made on first need, the first unknown user would pay a hash
            // and a check, twice the time of a wrong password.
            self.dummy.get(Some(&hash));
            self.template = Some(hash.clone());
        }
        self.accounts.insert(
            user.into(),
            Account {
                hash,
                vfs,
                writable,
                rates: (None, None),
            },
        );
        Ok(self)
    }

    /// Whether `user` is known here (an account, or anonymous access when
    /// enabled), so another authenticator can take the rest.
    pub fn knows(&self, user: &str) -> bool {
        self.accounts.contains_key(user) || self.is_anonymous(user)
    }

    /// Checks passwords behind `gate` instead of a gate of this list's
    /// own; give every list of a server the same one.
    pub fn with_hashing_gate(mut self, gate: HashingGate) -> Self {
        self.hashing = gate;
        self
    }

    /// Exempts `user` from the server's TLS policy (a legacy client that
    /// cannot do TLS, on a trusted network).
    pub fn exempt_from_tls(mut self, user: impl Into<String>) -> Self {
        self.tls_exempt.insert(user.into());
        self
    }

    /// Holds all of `user`'s sessions together to `download` and `upload`
    /// bytes per second (`0`: unlimited). A name not in the list is
    /// ignored.
    pub fn with_user_rates(mut self, user: &str, download: u64, upload: u64) -> Self {
        if let Some(account) = self.accounts.get_mut(user) {
            account.rates = rates(download, upload);
        }
        self
    }

    /// Holds every login of this list together (all users of a virtual
    /// host, say) to `download` and `upload` bytes per second (`0`:
    /// unlimited), on top of each user's own limits.
    pub fn with_rates(mut self, download: u64, upload: u64) -> Self {
        self.rates = rates(download, upload);
        self
    }

    /// Lets `user` log in only from the addresses `access` accepts (the
    /// engine checks it after the password, see [`Login::access`]).
    pub fn with_access(mut self, user: impl Into<String>, access: AccessList) -> Self {
        self.access.insert(user.into(), access);
        self
    }

    /// Gives `user` these per-path permissions in place of the preset
    /// their `writable` flag chose (see [`Login::permissions`]).
    pub fn with_permissions(mut self, user: impl Into<String>, permissions: PathRules) -> Self {
        self.permissions.insert(user.into(), permissions);
        self
    }

    /// The login of `user` to `vfs` from this list: held to the list's
    /// rates and `rates` (the account's), with the user's access list and
    /// permissions.
    fn login(&self, user: &str, vfs: Arc<dyn Vfs>, writable: bool, rates: &Rates) -> Login {
        let mut login = limited(limited(Login::new(user, vfs, writable), rates), &self.rates);
        if let Some(access) = self.access.get(user) {
            login = login.with_access(access.clone());
        }
        if let Some(permissions) = self.permissions.get(user) {
            login = login.with_permissions(permissions.clone());
        }
        login
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

    fn is_anonymous(&self, user: &str) -> bool {
        self.anonymous.is_some()
            && (user.eq_ignore_ascii_case("anonymous") || user.eq_ignore_ascii_case("ftp"))
    }

    async fn authenticate(
        &self,
        user: &str,
        password: &[u8],
        _context: &AuthContext,
    ) -> Result<Login, AuthError> {
        if let Some(vfs) = &self.anonymous
            && self.is_anonymous(user)
        {
            return Ok(self.login("anonymous", vfs.clone(), false, &(None, None)));
        }
        // An unknown user takes every step a known one does, against the
        // dummy hash (`None` until the blocking task makes it).
        let account = self.accounts.get(user).cloned();
        let stored = account.as_ref().map(|a| a.hash.clone());
        let tag_hash = stored.as_deref().unwrap_or("");
        // No tag is ever kept for an unknown name: this is false for it.
        if self.verified.check(user, tag_hash, password)
            && let Some(account) = &account
        {
            return Ok(self.login(user, account.vfs.clone(), account.writable, &account.rates));
        }
        let permit = self.hashing.enter().await?;
        // Logins that waited for the same user may find it verified now.
        if self.verified.check(user, tag_hash, password)
            && let Some(account) = &account
        {
            return Ok(self.login(user, account.vfs.clone(), account.writable, &account.rates));
        }
        // argon2 costs tens of milliseconds of CPU: keep it off the reactor.
        // The permit goes along, so a session that goes away mid-hash does
        // not free its place before the hash is done.
        let password = password.to_vec();
        let (dummy, template) = (self.dummy.clone(), self.template.clone());
        let (verified, password) = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let ok = match &stored {
                Some(hash) => verify(hash, &password),
                None => {
                    verify(dummy.get(template.as_deref()), &password);
                    false
                }
            };
            (ok, password)
        })
        .await
        .map_err(|e| AuthError::Backend(e.to_string()))?;
        let Some(account) = account.filter(|_| verified) else {
            return Err(AuthError::InvalidCredentials);
        };
        self.verified.remember(user, &account.hash, &password);
        Ok(self.login(user, account.vfs.clone(), account.writable, &account.rates))
    }
}

#[cfg(test)]
mod tests;
