//! FTPS settings: the certificate from files (`--tls-cert`/`--tls-key`),
//! or a throwaway self-signed one, and the implicit-FTPS listeners.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use wharf_session::{CertificatePem, TlsConfig};

use crate::config::Config;

/// FTPS settings.
pub(crate) struct TlsSettings {
    pub(crate) config: Arc<TlsConfig>,
    /// Implicit-FTPS addresses.
    pub(crate) implicit: Vec<SocketAddr>,
    /// The certificate is a throwaway one made at start.
    pub(crate) self_signed: bool,
}

/// A certificate for localhost made now, for tests and trying things out.
fn make_self_signed() -> Result<CertificatePem> {
    let names = ["localhost", "127.0.0.1", "::1"]
        .map(str::to_owned)
        .to_vec();
    let generated = rcgen::generate_simple_self_signed(names)
        .context("cannot make a self-signed certificate")?;
    Ok(CertificatePem {
        chain: generated.cert.pem().into_bytes(),
        key: generated.signing_key.serialize_pem().into_bytes(),
    })
}

/// The certificate and the implicit listeners of the merged settings: a
/// certificate's files go in pairs (clap and `Config::check` see to it),
/// so the pair of the flags replaces the file's whole.
pub(crate) fn tls_settings(config: &Config) -> Result<Option<TlsSettings>> {
    let files = config.tls.cert.clone().zip(config.tls.key.clone());
    let self_signed = files.is_none() && config.tls.self_signed.unwrap_or(false);
    let implicit = config.tls.implicit_listen.clone().unwrap_or_default();
    let config = match (files, self_signed) {
        (Some((cert, key)), _) => {
            TlsConfig::from_files(&cert, &key).with_context(|| "tls.cert/tls.key")?
        }
        (None, true) => TlsConfig::new(&make_self_signed()?)?,
        (None, false) => {
            if !implicit.is_empty() {
                return Err(anyhow!(
                    "--implicit-listen needs a certificate (--tls-cert/--tls-key or --tls-self-signed)"
                ));
            }
            return Ok(None);
        }
    };
    Ok(Some(TlsSettings {
        config: Arc::new(config),
        implicit,
        self_signed,
    }))
}
