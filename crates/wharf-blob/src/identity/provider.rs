//! The account's one token provider: built by object_store from an
//! [`EntraIdentity`], shared by every container's client and by the REST
//! signer, and checked before its token goes into a header.

use std::sync::Arc;

use async_trait::async_trait;
use http::HeaderValue;
use object_store::azure::{AzureCredential, AzureCredentialProvider, MicrosoftAzureBuilder};
use object_store::{CredentialProvider, RetryConfig};

use super::EntraIdentity;
use crate::connector::RingConnector;
use crate::errors::BlobError;

/// The container name the provider's throw-away store is built for: the
/// store is never used, only its credential provider is kept.
const ANY_CONTAINER: &str = "$root";

/// Builds the token provider of `identity` for `account` at `endpoint`.
/// No token is fetched until the first request.
pub(crate) fn build(
    identity: &EntraIdentity,
    account: &str,
    endpoint: &str,
    connector: &RingConnector,
    retry: RetryConfig,
) -> Result<AzureCredentialProvider, BlobError> {
    let store = identity
        .configure(MicrosoftAzureBuilder::new())
        .with_account(account)
        .with_container_name(ANY_CONTAINER)
        .with_endpoint(endpoint.to_owned())
        .with_allow_http(true)
        .with_retry(retry)
        .with_http_connector(connector.clone())
        .build()
        .map_err(BlobError::Client)?;
    Ok(Arc::new(Checked {
        inner: Arc::clone(store.credentials()),
        kind: identity.kind(),
    }))
}

/// Why a token could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum TokenError {
    /// The token service answered something that cannot travel in an
    /// `Authorization` header (empty, or with control characters).
    #[error("the {0} token service answered a token that is not a valid bearer token")]
    NotAHeader(&'static str),
}

/// object_store's provider behind a check of what it returns: object_store
/// puts a token into a header with `unwrap`, so a token service answering
/// a newline would otherwise panic the request. Its `Debug` names the
/// identity's kind only: the wrapped provider's `Debug` shows its cached
/// token.
struct Checked {
    inner: AzureCredentialProvider,
    kind: &'static str,
}

impl std::fmt::Debug for Checked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EntraTokens({})", self.kind)
    }
}

#[async_trait]
impl CredentialProvider for Checked {
    type Credential = AzureCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AzureCredential>> {
        let credential = self.inner.get_credential().await?;
        check(&credential, self.kind)?;
        Ok(credential)
    }
}

/// Fails unless a bearer token can be sent as `Authorization: Bearer ...`.
fn check(credential: &AzureCredential, kind: &'static str) -> object_store::Result<()> {
    if let AzureCredential::BearerToken(token) = credential
        && (token.trim().is_empty() || HeaderValue::from_str(&format!("Bearer {token}")).is_err())
    {
        return Err(object_store::Error::Generic {
            store: "MicrosoftAzure",
            source: Box::new(TokenError::NotAHeader(kind)),
        });
    }
    Ok(())
}

/// Whether `err` (or one of its sources) is a failure to obtain a token:
/// the token service refused or did not answer, the federated token file
/// or the Azure CLI failed, or the token was unusable. The message of
/// object_store's private credential error is the only mark it leaves.
pub(crate) fn is_token_failure(err: &(dyn std::error::Error + 'static)) -> bool {
    const MARKS: [&str; 5] = [
        "Error performing token request",
        "Error getting token response body",
        "Error reading federated token file",
        "'az account get-access-token' command failed",
        "Failed to parse azure cli response",
    ];
    let mut next = Some(err);
    while let Some(err) = next {
        if err.downcast_ref::<TokenError>().is_some() {
            return true;
        }
        let message = err.to_string();
        if MARKS.iter().any(|mark| message.starts_with(mark)) {
            return true;
        }
        next = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Fixed(&'static str);

    #[async_trait]
    impl CredentialProvider for Fixed {
        type Credential = AzureCredential;
        async fn get_credential(&self) -> object_store::Result<Arc<AzureCredential>> {
            Ok(Arc::new(AzureCredential::BearerToken(self.0.to_owned())))
        }
    }

    fn checked(token: &'static str) -> Checked {
        Checked {
            inner: Arc::new(Fixed(token)),
            kind: "client secret",
        }
    }

    #[tokio::test]
    async fn a_token_that_cannot_be_a_header_is_refused_not_sent() {
        assert!(
            checked("eyJhbGciOi.eyJhdWQiOi.c2ln")
                .get_credential()
                .await
                .is_ok()
        );
        for bad in ["", "  ", "abc\ndef", "abc\r\nx-evil: 1"] {
            let bad: &'static str = Box::leak(bad.to_owned().into_boxed_str());
            let err = checked(bad).get_credential().await.unwrap_err();
            assert!(is_token_failure(&err), "{bad:?}: {err}");
            assert!(err.to_string().contains("client secret"), "{err}");
        }
    }

    #[test]
    fn debug_shows_the_kind_not_the_token() {
        let shown = format!("{:?}", checked("secret-token-value"));
        assert_eq!(shown, "EntraTokens(client secret)");
    }

    #[test]
    fn token_failures_are_told_from_other_errors() {
        let failed = object_store::Error::Generic {
            store: "MicrosoftAzure",
            source: "Error performing token request: Server returned non-2xx status code: 400"
                .into(),
        };
        // The mark is in the source, under object_store's own wrapper.
        assert!(is_token_failure(&failed));
        let other = object_store::Error::Generic {
            store: "MicrosoftAzure",
            source: "Error performing PUT http://x/c/b in 1ms - 403 Forbidden".into(),
        };
        assert!(!is_token_failure(&other));
    }

    #[test]
    fn no_token_is_fetched_when_the_provider_is_built() {
        let connector = RingConnector {
            connect_timeout: std::time::Duration::from_secs(1),
            request_timeout: Some(std::time::Duration::from_secs(1)),
            stall_timeout: std::time::Duration::from_secs(1),
            roots: Vec::new(),
        };
        let identity = EntraIdentity::ClientSecret {
            tenant_id: "t".into(),
            client_id: "c".into(),
            client_secret: "s".into(),
            // Nothing listens on port 9: a fetch would fail.
            authority_host: Some("http://127.0.0.1:9".into()),
        };
        let provider = build(
            &identity,
            "acct",
            "http://127.0.0.1:9/acct",
            &connector,
            RetryConfig::default(),
        );
        assert!(provider.is_ok());
    }
}
