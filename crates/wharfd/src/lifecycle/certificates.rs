//! Certificate files reloaded when they change, without a signal: their
//! modification times are checked every [`CHECK_EVERY`], so a renewal
//! tool that only replaces the files (and sends no SIGHUP) is picked up.
//! SIGHUP reloads them at once (`reload.rs`).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use wharf_session::TlsConfig;

/// How often the files' modification times are compared.
const CHECK_EVERY: Duration = Duration::from_secs(30);

/// The modification times of the chain and the key (`None` where a file
/// cannot be read: a renewal in progress, say).
fn stamp(cert: &Path, key: &Path) -> (Option<SystemTime>, Option<SystemTime>) {
    let time = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    (time(cert), time(key))
}

/// Spawns the watch when the certificate comes from files; a self-signed
/// certificate has none.
pub(super) fn watch_files(tls: &Arc<TlsConfig>) {
    let Some((cert, key)) = tls
        .certificate()
        .files()
        .map(|(c, k)| (c.to_owned(), k.to_owned()))
    else {
        return;
    };
    let tls = Arc::clone(tls);
    tokio::spawn(async move {
        let mut seen = stamp(&cert, &key);
        loop {
            tokio::time::sleep(CHECK_EVERY).await;
            let now = stamp(&cert, &key);
            if now == seen {
                continue;
            }
            seen = now;
            match tls.reload() {
                Ok(()) => tracing::info!(
                    cert = %cert.display(),
                    "TLS certificate files changed: reloaded"
                ),
                Err(error) => tracing::warn!(
                    %error,
                    "TLS certificate files changed but cannot be loaded; keeping the old certificate"
                ),
            }
        }
    });
}
