//! The HTTP client: reqwest over rustls with the *ring* provider, handed to
//! object_store and used for the REST calls it lacks.
//!
//! reqwest is built with `rustls-no-provider`, so nothing here depends on
//! a process-wide rustls `CryptoProvider`: the TLS configuration is built
//! explicitly with ring and the platform's certificate verifier, which
//! also trusts the configuration's extra root certificates
//! ([`BlobConfig::root_certificates`](crate::BlobConfig::root_certificates):
//! a private CA, or an emulator's test certificate).

use std::sync::Arc;
use std::time::Duration;

use object_store::ClientOptions;
use object_store::client::{HttpClient, HttpConnector};
use rustls::pki_types::CertificateDer;
use rustls_platform_verifier::{BuilderVerifierExt, Verifier};

use crate::stall::StallGuarded;

/// An [`HttpConnector`] with explicit timeouts and ring-based TLS.
#[derive(Debug, Clone)]
pub(crate) struct RingConnector {
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Option<Duration>,
    /// No progress for this long fails a request (`stall.rs`).
    pub(crate) stall_timeout: Duration,
    /// Root certificates trusted besides the platform's (DER).
    pub(crate) roots: Vec<CertificateDer<'static>>,
}

impl RingConnector {
    /// The client, built once per store.
    pub(crate) fn client(&self) -> Result<reqwest::Client, BuildError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(BuildError::Tls)?;
        let tls = if self.roots.is_empty() {
            builder.with_platform_verifier().map_err(BuildError::Tls)?
        } else {
            let verifier = Verifier::new_with_extra_roots(self.roots.iter().cloned(), provider)
                .map_err(BuildError::Tls)?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
        }
        .with_no_client_auth();
        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(self.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("wharf-blob/", env!("CARGO_PKG_VERSION")));
        if let Some(total) = self.request_timeout {
            builder = builder.timeout(total);
        }
        builder.build().map_err(BuildError::Http)
    }
}

impl RingConnector {
    /// `client` under the stall bound, as object_store and the REST client
    /// take it.
    pub(crate) fn guarded(&self, client: reqwest::Client) -> HttpClient {
        HttpClient::new(StallGuarded {
            client,
            stall: self.stall_timeout,
        })
    }
}

impl HttpConnector for RingConnector {
    fn connect(&self, _options: &ClientOptions) -> object_store::Result<HttpClient> {
        let client = self.client().map_err(|err| object_store::Error::Generic {
            store: "wharf-blob",
            source: Box::new(err),
        })?;
        Ok(self.guarded(client))
    }
}

/// The extra roots of `config`, as rustls takes them.
pub(crate) fn roots(config: &crate::BlobConfig) -> Vec<CertificateDer<'static>> {
    (config.root_certificates.iter())
        .map(|der| CertificateDer::from(der.clone()))
        .collect()
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
