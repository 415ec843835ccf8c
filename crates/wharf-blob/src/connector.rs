//! The HTTP client: reqwest over rustls with the *ring* provider, handed to
//! object_store and used for the REST calls it lacks.
//!
//! reqwest is built with `rustls-no-provider`, so nothing here depends on
//! a process-wide rustls `CryptoProvider`: the TLS configuration is built
//! explicitly with ring and the platform's certificate verifier.

use std::sync::Arc;
use std::time::Duration;

use object_store::ClientOptions;
use object_store::client::{HttpClient, HttpConnector};
use rustls_platform_verifier::BuilderVerifierExt;

/// An [`HttpConnector`] with explicit timeouts and ring-based TLS.
#[derive(Debug, Clone)]
pub(crate) struct RingConnector {
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
}

impl RingConnector {
    /// The client, built once per store.
    pub(crate) fn client(&self) -> Result<reqwest::Client, BuildError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(BuildError::Tls)?
            .with_platform_verifier()
            .map_err(BuildError::Tls)?
            .with_no_client_auth();
        reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("wharf-blob/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(BuildError::Http)
    }
}

impl HttpConnector for RingConnector {
    fn connect(&self, _options: &ClientOptions) -> object_store::Result<HttpClient> {
        let client = self.client().map_err(|err| object_store::Error::Generic {
            store: "wharf-blob",
            source: Box::new(err),
        })?;
        Ok(HttpClient::new(client))
    }
}

/// Why the HTTP client could not be built.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BuildError {
    /// The TLS configuration.
    #[error("TLS configuration: {0}")]
    Tls(rustls::Error),
    /// The HTTP client.
    #[error("HTTP client: {0}")]
    Http(reqwest::Error),
}
