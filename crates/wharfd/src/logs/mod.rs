//! The transfer log (xferlog format) and the audit log (JSON lines): an
//! [`Observer`] that formats each event on the session's task and hands
//! the line to a [`LogFile`] writer thread.

mod audit;
mod writer;
mod xferlog;

use std::sync::Arc;

use wharf_session::Observer;
use wharf_session::observe::{CommandRecord, LoginResult, SessionInfo, TransferRecord};

pub(crate) use writer::LogFile;

/// Writes the logs that are on.
#[derive(Debug, Default)]
pub(crate) struct Logs {
    pub(crate) xferlog: Option<Arc<LogFile>>,
    pub(crate) audit: Option<Arc<LogFile>>,
}

impl Logs {
    /// Every file, for reopening.
    pub(crate) fn files(&self) -> Vec<Arc<LogFile>> {
        self.xferlog.iter().chain(&self.audit).cloned().collect()
    }
}

impl Observer for Logs {
    fn session_opened(&self, session: &SessionInfo<'_>) {
        if let Some(audit) = &self.audit {
            audit.write(audit::session("session_open", session));
        }
    }

    fn session_closed(&self, session: &SessionInfo<'_>) {
        if let Some(audit) = &self.audit {
            audit.write(audit::session("session_close", session));
        }
    }

    fn login(&self, session: &SessionInfo<'_>, user: &str, result: LoginResult) {
        if let Some(audit) = &self.audit {
            audit.write(audit::login(session, user, result));
        }
    }

    fn command(&self, session: &SessionInfo<'_>, command: &CommandRecord<'_>) {
        if let Some(audit) = &self.audit {
            audit.write(audit::command(session, command));
        }
    }

    fn transfer(&self, session: &SessionInfo<'_>, transfer: &TransferRecord<'_>) {
        if let Some(xferlog) = &self.xferlog
            && let Some(line) = xferlog::line(&chrono::Local::now(), session, transfer)
        {
            xferlog.write(line);
        }
        if let Some(audit) = &self.audit {
            audit.write(audit::transfer(session, transfer));
        }
    }
}

/// Reopens every log file each time `reopens` changes (SIGUSR1, and
/// after a SIGHUP reload: logrotate's `postrotate`), until the process
/// ends.
pub(crate) async fn reopen_on(
    files: Vec<Arc<LogFile>>,
    mut reopens: tokio::sync::watch::Receiver<u64>,
) {
    if files.is_empty() {
        return;
    }
    while reopens.changed().await.is_ok() {
        for file in &files {
            file.reopen();
            let dropped = file.dropped();
            tracing::info!(path = %file.path().display(), dropped, "log file reopened");
        }
    }
}
