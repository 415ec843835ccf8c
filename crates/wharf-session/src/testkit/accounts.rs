//! The accounts every harness knows: `a` may write, `r` may only read,
//! [`PERMITTED`] holds the [`Setup`](super::Setup)'s path rules,
//! [`RESTRICTED`] may write from the addresses [`restricted_access`]
//! accepts (all with [`PASSWORD`](super::PASSWORD)), and `anonymous` reads with any
//! password and is the authenticator's anonymous login, the one
//! [`TlsPolicy::exempt_anonymous`](crate::TlsPolicy) exempts. A quota hook
//! given to the [`Setup`](super::Setup) is attached to every login, and so
//! is its download throttle (one for all logins, as a user's would be).

use std::sync::Arc;

use async_trait::async_trait;
use wharf_vfs::Vfs;

use super::quota::ByteQuota;
use crate::access::AccessList;
use crate::auth::{AuthContext, AuthError, Authenticator, Login};
use crate::permissions::PathRules;

/// The test accounts over one storage.
pub(super) struct Accounts {
    pub(super) storage: Arc<dyn Vfs>,
    pub(super) quota: Option<Arc<ByteQuota>>,
    pub(super) download_limit: Option<Arc<crate::Throttle>>,
    /// [`PERMITTED`]'s permissions.
    pub(super) rules: PathRules,
}

/// The account whose permissions the setup gives.
pub(crate) const PERMITTED: &str = "p";

/// The name of the anonymous login.
pub(crate) const ANONYMOUS: &str = "anonymous";

/// The account with an access list of its own, [`restricted_access`].
pub(crate) const RESTRICTED: &str = "l";

/// Where [`RESTRICTED`] may log in from: `192.0.2.0/28` (which holds
/// [`CLIENT_IP`](super::CLIENT_IP)) but not `192.0.2.12`.
pub(crate) fn restricted_access() -> AccessList {
    AccessList::new()
        .allow("192.0.2.0/28".parse().unwrap())
        .deny("192.0.2.12/32".parse().unwrap())
}

#[async_trait]
impl Authenticator for Accounts {
    async fn authenticate(
        &self,
        user: &str,
        password: &[u8],
        _context: &AuthContext,
    ) -> Result<Login, AuthError> {
        let writable = match user {
            ANONYMOUS => false,
            _ if password != super::PASSWORD.as_bytes() => {
                return Err(AuthError::InvalidCredentials);
            }
            "a" | RESTRICTED | PERMITTED => true,
            "r" => false,
            _ => return Err(AuthError::InvalidCredentials),
        };
        let mut login = Login::new(user, self.storage.clone(), writable);
        if let Some(throttle) = &self.download_limit {
            login = login.with_rate_limit(crate::Direction::Download, throttle.clone());
        }
        if user == PERMITTED {
            login = login.with_permissions(self.rules.clone());
        }
        if user == RESTRICTED {
            login = login.with_access(restricted_access());
        }
        Ok(match &self.quota {
            Some(quota) => login.with_quota(quota.clone()),
            None => login,
        })
    }

    fn is_anonymous(&self, user: &str) -> bool {
        user == ANONYMOUS
    }
}
