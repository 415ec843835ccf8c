//! The server certificate: loaded from PEM, swappable at run time.
//!
//! [`ReloadableCert`] is the rustls certificate resolver of every TLS
//! config of a server. Replacing its key pair (SIGHUP, a changed file)
//! affects new handshakes only; sessions already encrypted keep theirs, and
//! since the configs themselves stay, so do the session caches.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use super::TlsError;

/// A certificate chain and its private key, in PEM.
#[derive(Clone)]
pub struct CertificatePem {
    /// The chain, leaf first.
    pub chain: Vec<u8>,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: Vec<u8>,
}

impl std::fmt::Debug for CertificatePem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificatePem").finish_non_exhaustive()
    }
}

impl CertificatePem {
    /// Reads both files.
    pub fn from_files(chain: &Path, key: &Path) -> Result<Self, TlsError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|e| TlsError::Read(path.to_owned(), e.to_string()))
        };
        Ok(Self {
            chain: read(chain)?,
            key: read(key)?,
        })
    }

    /// Parses the PEM into a key pair rustls can serve.
    pub(crate) fn certified_key(
        &self,
        provider: &CryptoProvider,
    ) -> Result<CertifiedKey, TlsError> {
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&self.chain)
            .collect::<Result<_, _>>()
            .map_err(|e| TlsError::Certificate(e.to_string()))?;
        if chain.is_empty() {
            return Err(TlsError::Certificate("no certificate in the PEM".into()));
        }
        let key =
            PrivateKeyDer::from_pem_slice(&self.key).map_err(|e| TlsError::Key(e.to_string()))?;
        let signing_key = provider
            .key_provider
            .load_private_key(key)
            .map_err(|e| TlsError::Key(e.to_string()))?;
        let certified = CertifiedKey::new(chain, signing_key);
        certified
            .keys_match()
            .map_err(|e| TlsError::Key(format!("the key does not match the certificate: {e}")))?;
        Ok(certified)
    }
}

/// Where a reloadable certificate comes from.
#[derive(Debug, Clone)]
enum Source {
    Files { chain: PathBuf, key: PathBuf },
    Fixed,
}

/// The certificate every handshake of a server gets; see the module docs.
#[derive(Debug)]
pub struct ReloadableCert {
    current: RwLock<Arc<CertifiedKey>>,
    source: Source,
    provider: Arc<CryptoProvider>,
}

impl ReloadableCert {
    pub(crate) fn new(
        pem: &CertificatePem,
        provider: Arc<CryptoProvider>,
        files: Option<(PathBuf, PathBuf)>,
    ) -> Result<Self, TlsError> {
        let key = pem.certified_key(&provider)?;
        Ok(Self {
            current: RwLock::new(Arc::new(key)),
            source: match files {
                Some((chain, key)) => Source::Files { chain, key },
                None => Source::Fixed,
            },
            provider,
        })
    }

    /// Reads the PEM files again and serves the new key pair to new
    /// handshakes. On error the current one stays. Certificates not loaded
    /// from files have nothing to reload and succeed.
    pub fn reload(&self) -> Result<(), TlsError> {
        let Source::Files { chain, key } = &self.source else {
            return Ok(());
        };
        let fresh = CertificatePem::from_files(chain, key)?.certified_key(&self.provider)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(fresh);
        Ok(())
    }

    /// The files this certificate is read from, if any.
    pub fn files(&self) -> Option<(&Path, &Path)> {
        match &self.source {
            Source::Files { chain, key } => Some((chain, key)),
            Source::Fixed => None,
        }
    }
}

impl ResolvesServerCert for ReloadableCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        )
    }
}
