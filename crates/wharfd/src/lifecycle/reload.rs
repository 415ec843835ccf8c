//! What a reload (SIGHUP, `systemctl reload wharfd`) re-reads: the
//! configuration file and users files, for the sessions that start
//! afterwards (`reconfigure.rs`), and the TLS certificate when it comes
//! from files. Each step that fails keeps its old settings and is logged;
//! the other steps still run, and the server keeps serving. Running
//! sessions are never touched.

use std::sync::Arc;

use wharf_session::{Connections, TlsConfig};

use crate::reconfigure::Reconfigure;

/// The parts of the running server a reload refreshes.
pub(crate) struct Reload {
    tls: Option<Arc<TlsConfig>>,
    /// The configuration file and what it is applied to.
    configuration: Option<(Arc<Reconfigure>, Connections)>,
}

impl Reload {
    /// A reload of `tls`'s certificate files, if it has any.
    pub(crate) fn new(tls: Option<Arc<TlsConfig>>) -> Self {
        Self {
            tls,
            configuration: None,
        }
    }

    /// Reads the configuration again at each reload, for the sessions of
    /// `connections` that start afterwards.
    pub(crate) fn with_configuration(
        &mut self,
        reconfigure: Reconfigure,
        connections: Connections,
    ) {
        self.configuration = Some((Arc::new(reconfigure), connections));
    }

    /// The configuration (when set), then the certificate; what was
    /// reloaded, in a few words.
    pub(crate) async fn apply(&self) -> String {
        let certificate = self.run();
        match &self.configuration {
            Some((reconfigure, connections)) => {
                let configuration = reconfigure.apply(connections).await;
                format!("{configuration}; {certificate}")
            }
            None => certificate,
        }
    }

    /// Runs every step and says in a few words what was reloaded, for the
    /// log line of the reload. Failures are logged as warnings here.
    pub(crate) fn run(&self) -> String {
        let Some(tls) = &self.tls else {
            return "no TLS certificate files".to_owned();
        };
        let Some((cert, _)) = tls.certificate().files() else {
            return "the self-signed certificate made at start is kept".to_owned();
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
