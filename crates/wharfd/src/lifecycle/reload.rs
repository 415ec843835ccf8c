//! What a reload (SIGHUP, `systemctl reload wharfd`) re-reads. Today that
//! is the TLS certificate when it comes from files; every other setting is
//! read once at start. Each step that fails keeps its old settings and is
//! logged; the other steps still run, and the server keeps serving.
//! Running sessions are never touched: new TLS handshakes get the new
//! certificate.

use std::sync::Arc;

use wharf_session::TlsConfig;

/// The parts of the running server a reload refreshes.
pub(crate) struct Reload {
    tls: Option<Arc<TlsConfig>>,
}

impl Reload {
    /// A reload of `tls`'s certificate files, if it has any.
    pub(crate) fn new(tls: Option<Arc<TlsConfig>>) -> Self {
        Self { tls }
    }

    /// Runs every step and says in a few words what was reloaded, for the
    /// log line of the reload. Failures are logged as warnings here.
    pub(crate) fn run(&self) -> String {
        let Some(tls) = &self.tls else {
            return "nothing (no TLS certificate files; other settings are read at start)"
                .to_owned();
        };
        let Some((cert, _)) = tls.certificate().files() else {
            return "nothing (the self-signed certificate is made at start and kept)".to_owned();
        };
        let cert = cert.display().to_string();
        match tls.reload() {
            Ok(()) => format!("TLS certificate from {cert}"),
            Err(error) => {
                tracing::warn!(%error, cert, "TLS certificate reload failed; keeping the old one");
                format!("nothing (the TLS certificate from {cert} failed to load)")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a fresh self-signed certificate and its key as PEM files.
    fn write_pair(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert, made.cert.pem()).unwrap();
        std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
        (cert, key)
    }

    #[test]
    fn reloads_certificate_files_and_keeps_the_old_one_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = write_pair(dir.path());
        let tls = Arc::new(TlsConfig::from_files(&cert, &key).unwrap());
        let reload = Reload::new(Some(tls));
        write_pair(dir.path());
        assert_eq!(
            reload.run(),
            format!("TLS certificate from {}", cert.display())
        );

        std::fs::write(&key, "not a key").unwrap();
        let said = reload.run();
        assert!(
            said.starts_with("nothing (") && said.contains("failed"),
            "{said}"
        );
    }

    #[test]
    fn says_when_there_is_nothing_to_reload() {
        assert!(Reload::new(None).run().contains("no TLS certificate files"));
    }
}
