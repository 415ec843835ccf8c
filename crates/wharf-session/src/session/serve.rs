//! One command while the session runs, and the transfers it starts: the
//! replies while a transfer runs (ABOR, STAT and NOOP at once, any other
//! command after the transfer's final reply), starting and ending a
//! transfer, and the drain at shutdown.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant as StdInstant;

use tokio::time::timeout;
use tracing::{info, warn};
use wharf_proto::{Command, Reply, ReplyCode};

use super::driver::{Flow, Replies, ok, transfer_done};
use super::reply_map::final_reply;
use super::state::LoginState;
use super::{Outcome, RunningTransfer, Session};
use crate::data::outcome::{Finished, TransferError};
use crate::data::plan::DataPlan;
use crate::data::transfer;
use crate::observe::{TransferKind, TransferStatus};

impl Session {
    /// Handles one command, writing its replies.
    pub(super) async fn serve(&mut self, command: Command, out: &mut Replies) -> Flow {
        if self.transfer.is_some() {
            match &command {
                Command::Abor => return self.abort_transfer(out).await,
                Command::Stat(None) => return ok(out.send(&self.transfer_status()).await),
                Command::Noop => return ok(out.send(&Reply::new(ReplyCode::OK, "NOOP ok.")).await),
                _ => {
                    // Any other command waits for the transfer to end.
                    let result = transfer_done(&mut self.transfer).await;
                    let reply = self.end_transfer(result);
                    if out.send(&reply).await.is_err() {
                        return Flow::Close;
                    }
                }
            }
        }
        let verb = command.verb();
        let argument = self.observed_argument(&command);
        let outcome = self.handle(command).await;
        let reply = match &outcome {
            Outcome::Reply(reply)
            | Outcome::Close(reply)
            | Outcome::Transfer(reply, _)
            | Outcome::StartTls(reply)
            | Outcome::EndTls(reply) => reply.code(),
        };
        self.observe_command(verb, argument.as_deref(), reply);
        match outcome {
            Outcome::Reply(reply) => ok(out.send(&reply).await),
            Outcome::Close(reply) => {
                let _ = out.send(&reply).await;
                Flow::Close
            }
            Outcome::Transfer(preliminary, job) => {
                if out.send(&preliminary).await.is_err() {
                    return Flow::Close;
                }
                // The command and its 150 count before the data does, so a
                // quota cut falls where the client can tell it.
                self.charge_control();
                self.start_transfer(*job, verb);
                Flow::Continue
            }
            Outcome::StartTls(reply) => match out.send(&reply).await {
                Ok(()) => Flow::StartTls,
                Err(_) => Flow::Close,
            },
            Outcome::EndTls(reply) => match out.send(&reply).await {
                Ok(()) => Flow::EndTls,
                Err(_) => Flow::Close,
            },
        }
    }

    /// Starts `job`, which `verb` asked for.
    pub(super) fn start_transfer(&mut self, job: transfer::TransferJob, verb: &'static str) {
        let progress = Arc::new(AtomicU64::new(0));
        let path = job.path.clone();
        let kind = match &job.work {
            transfer::Work::Send { .. } => TransferKind::Download,
            #[cfg(target_os = "linux")]
            transfer::Work::SendFile { .. } => TransferKind::Download,
            transfer::Work::Receive { .. } => TransferKind::Upload,
            transfer::Work::List(_) => TransferKind::Listing,
        };
        let ascii = self.state.params.ascii();
        let task = tokio::spawn(transfer::run(
            job,
            self.open_context(),
            self.limits(),
            progress.clone(),
        ));
        self.transfer = Some(RunningTransfer {
            task,
            progress,
            path,
            verb,
            kind,
            ascii,
            started: StdInstant::now(),
        });
    }

    /// Logs the end of a transfer and gives its final reply; a MODE B
    /// connection that ended well is kept for the next transfer.
    pub(super) fn end_transfer(&mut self, finished: Finished) -> Reply {
        let Finished { result, keep } = finished;
        let Some(running) = self.transfer.take() else {
            return Reply::new(ReplyCode::LOCAL_ERROR, "No transfer.");
        };
        if let Some(stream) = keep {
            self.data = DataPlan::Open(stream);
        }
        let reply = final_reply(&result, &running.path);
        let user = match &self.state.login {
            LoginState::LoggedIn(login) => login.user.as_str(),
            _ => "-",
        };
        let elapsed_ms = u64::try_from(running.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match &result {
            Ok(bytes) => {
                info!(user, verb = running.verb, path = %running.path, bytes, elapsed_ms, "transfer complete");
                self.report_transfer(
                    &running,
                    TransferStatus::Complete,
                    Some(*bytes),
                    Some(reply.code()),
                );
            }
            Err(error) => {
                warn!(user, verb = running.verb, path = %running.path, ?error, elapsed_ms, "transfer failed");
                if let TransferError::Quota(_, direction) = error {
                    self.observe(|o, s| o.quota_refused(s, *direction));
                }
                self.report_transfer(&running, TransferStatus::Failed, None, Some(reply.code()));
            }
        }
        reply
    }

    /// ABOR while a transfer runs: `426` for the transfer, then `226` for
    /// the ABOR (RFC 959 4.1.3).
    pub(super) async fn abort_transfer(&mut self, out: &mut Replies) -> Flow {
        if let Some(mut running) = self.transfer.take() {
            running.task.abort();
            // Awaiting the task drops its upload, which discards it.
            let _ = (&mut running.task).await;
            info!(verb = running.verb, path = %running.path, "transfer aborted by client");
            self.report_transfer(
                &running,
                TransferStatus::Aborted,
                None,
                Some(ReplyCode::CONNECTION_CLOSED),
            );
        }
        self.data = DataPlan::None;
        let aborted = Reply::new(
            ReplyCode::CONNECTION_CLOSED,
            "Connection closed; transfer aborted.",
        );
        if out.send(&aborted).await.is_err() {
            return Flow::Close;
        }
        let done = Reply::new(
            ReplyCode::CLOSING_DATA_CONNECTION,
            "ABOR command successful.",
        );
        ok(out.send(&done).await)
    }

    pub(super) fn transfer_status(&self) -> Reply {
        match &self.transfer {
            Some(t) => Reply::new(
                ReplyCode::FILE_STATUS,
                &format!(
                    "Status: {} {} in progress, {} bytes so far.",
                    t.verb,
                    t.path,
                    t.progress.load(std::sync::atomic::Ordering::Relaxed)
                ),
            ),
            None => Reply::new(ReplyCode::SYSTEM_STATUS, "No transfer in progress."),
        }
    }

    /// Shutdown: let a running transfer finish within the grace period,
    /// then say goodbye with `421`.
    pub(super) async fn drain_on_shutdown(&mut self, out: &mut Replies) {
        if self.transfer.is_some() {
            let grace = self.ctx.options.shutdown_grace;
            if let Ok(result) = timeout(grace, transfer_done(&mut self.transfer)).await {
                let reply = self.end_transfer(result);
                let _ = out.send(&reply).await;
            }
        }
        let bye = Reply::new(
            ReplyCode::SERVICE_NOT_AVAILABLE,
            "Server shutting down, closing control connection.",
        );
        let _ = out.send(&bye).await;
    }
}
