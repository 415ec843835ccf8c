//! Seed 000's login: the FTP user name is an Azure storage account name and
//! the password is its key. The store itself decides (one cheap
//! authenticated call); each session gets its own client for the account,
//! whose containers are the folders of `/`. Nothing is stored or logged.

use std::sync::Arc;

use async_trait::async_trait;
use tracing::warn;
use wharf_blob::{BlobConfig, BlobError, FolderMarker, Store, View, login_azure};
use wharf_session::{AuthContext, AuthError, Authenticator, Login, UserList};

/// Local users first, then the storage account named by the user.
pub(crate) struct AzurePassthrough {
    /// The blob endpoint with `{account}` for the account name.
    endpoint: String,
    base: BlobConfig,
    /// Accounts of the users file and flags, checked first.
    local: UserList,
}

impl AzurePassthrough {
    pub(crate) fn new(endpoint: String, folder_marker: FolderMarker, local: UserList) -> Self {
        // The store and view are replaced at each login.
        let base = BlobConfig::new(Store::azure(endpoint.clone(), "", ""), View::Account)
            .with_folder_marker(folder_marker);
        Self {
            endpoint,
            base,
            local,
        }
    }
}

#[async_trait]
impl Authenticator for AzurePassthrough {
    async fn authenticate(
        &self,
        user: &str,
        password: &[u8],
        context: &AuthContext,
    ) -> Result<Login, AuthError> {
        if self.local.knows(user) {
            return self.local.authenticate(user, password, context).await;
        }
        let key = std::str::from_utf8(password).map_err(|_| AuthError::InvalidCredentials)?;
        match login_azure(&self.endpoint, user, key, &self.base).await {
            Ok(fs) => Ok(Login::new(user, Arc::new(fs), true)),
            Err(BlobError::BadCredentials) => Err(AuthError::InvalidCredentials),
            Err(error) => {
                warn!(account = user, %error, "storage account check failed");
                Err(AuthError::Backend(
                    "the storage service could not be reached".into(),
                ))
            }
        }
    }

    fn tls_exempt(&self, user: &str) -> bool {
        self.local.tls_exempt(user)
    }
}
