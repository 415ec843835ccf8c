//! [`GcsAuth`]: the credentials a GCS store signs with, and the
//! object_store builder that carries them.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use object_store::StaticCredentialProvider;
use object_store::gcp::{GcpCredential, GoogleCloudStorageBuilder};

use crate::config::REDACTED;

/// How GCS requests are signed. Every variant ends in an OAuth 2.0 bearer
/// token that object_store fetches, caches and refreshes.
#[derive(Clone)]
#[non_exhaustive]
pub enum GcsAuth {
    /// A service account's JSON key file, as the Cloud console downloads
    /// it: its private key signs a token request to the key's `token_uri`.
    KeyFile(PathBuf),
    /// The same key's JSON text.
    Key(String),
    /// Application default credentials: the file
    /// `GOOGLE_APPLICATION_CREDENTIALS` names (a service account key or a
    /// `gcloud auth application-default login` user), else gcloud's
    /// well-known file, else the metadata server of the machine (a
    /// Compute Engine or Cloud Run service account, or GKE Workload
    /// Identity, which answers on the same endpoint in the pod).
    ApplicationDefault,
    /// A fixed access token (`gcloud auth print-access-token`), used as
    /// it is until it expires (about an hour). An emulator takes any text.
    Token(String),
}

/// Never prints a key or a token.
impl fmt::Debug for GcsAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::KeyFile(path) => f.debug_tuple("KeyFile").field(path).finish(),
            Self::Key(_) => f.debug_tuple("Key").field(&REDACTED).finish(),
            Self::ApplicationDefault => f.write_str("ApplicationDefault"),
            Self::Token(_) => f.debug_tuple("Token").field(&REDACTED).finish(),
        }
    }
}

/// The environment variable that names an application default
/// credentials file. object_store reads it only in `from_env`, which
/// would take every other `GOOGLE_*` setting too; only this one is read.
const CREDENTIALS_VARIABLE: &str = "GOOGLE_APPLICATION_CREDENTIALS";

/// A builder for bucket `bucket` at `endpoint`, signed as `auth` says.
pub(crate) fn builder(endpoint: &str, bucket: &str, auth: &GcsAuth) -> GoogleCloudStorageBuilder {
    let builder = GoogleCloudStorageBuilder::new()
        .with_bucket_name(bucket)
        .with_base_url(endpoint);
    match auth {
        GcsAuth::KeyFile(path) => builder.with_service_account_path(path.to_string_lossy()),
        GcsAuth::Key(json) => builder.with_service_account_key(json),
        GcsAuth::ApplicationDefault => match std::env::var(CREDENTIALS_VARIABLE) {
            Ok(path) if !path.trim().is_empty() => builder.with_application_credentials(path),
            _ => builder,
        },
        GcsAuth::Token(token) => {
            builder.with_credentials(Arc::new(StaticCredentialProvider::new(GcpCredential {
                bearer: token.clone(),
            })))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_keys_and_tokens() {
        let secret = "ya29.secret-token-text";
        for auth in [
            GcsAuth::Token(secret.into()),
            GcsAuth::Key(format!("{{\"private_key\": \"{secret}\"}}")),
        ] {
            let shown = format!("{auth:?}");
            assert!(!shown.contains("secret-token"), "{shown}");
            assert!(shown.contains(REDACTED), "{shown}");
        }
        let file = format!("{:?}", GcsAuth::KeyFile("/etc/wharf/gcs.json".into()));
        assert!(file.contains("/etc/wharf/gcs.json"), "{file}");
    }
}
