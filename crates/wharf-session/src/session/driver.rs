//! The read/reply loop of a control connection.
//!
//! One task per connection. It reads command lines through
//! [`ServerCodec`], hands each to a handler, and writes the reply; a
//! transfer runs in a task of its own, so that while it runs the loop keeps
//! reading: ABOR, STAT and NOOP are answered at once, other commands wait
//! for the transfer's final reply (RFC 959 allows either).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant as StdInstant;

use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until};
use tokio_util::codec::FramedRead;
use tracing::{Instrument, debug, info, info_span, warn};
use wharf_proto::codec::ServerCodec;
use wharf_proto::{Command, DecodeError, Reply, ReplyCode};

use super::control_reader::ControlReader;
use super::state::LoginState;
use super::{Outcome, RunningTransfer, ServerContext, Session};
use crate::data::plan::DataPlan;
use crate::data::socket::tune_control;
use crate::data::transfer::{self, TransferError, final_reply};

/// Writes one reply.
async fn send(out: &mut OwnedWriteHalf, reply: &Reply) -> std::io::Result<()> {
    out.write_all(&reply.to_bytes()).await
}

/// The reply for a line that did not decode.
fn decode_error_reply(error: &DecodeError) -> Reply {
    let code = error.reply_code().unwrap_or(ReplyCode::SYNTAX_ERROR);
    Reply::new(code, &format!("{}.", capitalize(&error.to_string())))
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Waits for the running transfer; never resolves when there is none.
async fn transfer_done(transfer: &mut Option<RunningTransfer>) -> Result<u64, TransferError> {
    match transfer {
        Some(running) => match (&mut running.task).await {
            Ok(result) => result,
            Err(e) => Err(TransferError::Broken(std::io::Error::other(e.to_string()))),
        },
        None => std::future::pending().await,
    }
}

/// Serves one control connection until it closes, times out, or the server
/// shuts down.
pub(crate) async fn run_session(
    ctx: Arc<ServerContext>,
    stream: TcpStream,
    peer: SocketAddr,
    local: SocketAddr,
    shutdown: watch::Receiver<bool>,
) {
    let span = info_span!("session", %peer);
    drive(ctx, stream, peer, local, shutdown)
        .instrument(span)
        .await;
}

async fn drive(
    ctx: Arc<ServerContext>,
    stream: TcpStream,
    peer: SocketAddr,
    local: SocketAddr,
    mut shutdown: watch::Receiver<bool>,
) {
    tune_control(&stream, ctx.options.keepalive);
    let (read, mut out) = stream.into_split();
    let mut commands = FramedRead::new(
        ControlReader::new(read),
        ServerCodec::new(ctx.options.max_line),
    );
    let login_deadline = Instant::now() + ctx.options.login_timeout;
    let idle = ctx.options.idle_timeout;
    let greeting = Reply::new(ReplyCode::SERVICE_READY, &ctx.options.greeting);
    let mut session = Session::new(ctx, peer, local);
    let started = StdInstant::now();
    info!(local = %local, "session start");
    if send(&mut out, &greeting).await.is_err() {
        return;
    }
    let mut idle_deadline = Instant::now() + idle;
    loop {
        let logged_in = matches!(session.state.login, LoginState::LoggedIn(_));
        let session_deadline = if session.transfer.is_some() {
            None
        } else if logged_in {
            Some(idle_deadline)
        } else {
            Some(login_deadline.min(idle_deadline))
        };
        let passive_expiry = session.data.expiry();
        let wake = [session_deadline, passive_expiry]
            .into_iter()
            .flatten()
            .min();
        let step = tokio::select! {
            result = transfer_done(&mut session.transfer) => Step::TransferDone(result),
            item = commands.next() => match item {
                Some(Ok(Ok(command))) => Step::Command(command),
                Some(Ok(Err(error))) => Step::Bad(error),
                Some(Err(_)) | None => Step::Gone,
            },
            () = sleep_until(wake.unwrap_or_else(far_future)), if wake.is_some() => Step::Timer,
            _ = shutdown.changed() => Step::Shutdown,
        };
        let keep_going = match step {
            Step::TransferDone(result) => {
                let reply = session.end_transfer(result);
                idle_deadline = Instant::now() + idle;
                send(&mut out, &reply).await.is_ok()
            }
            Step::Command(command) => {
                idle_deadline = Instant::now() + idle;
                session.serve(command, &mut out).await
            }
            Step::Bad(error) => {
                debug!(%error, "undecodable command");
                idle_deadline = Instant::now() + idle;
                send(&mut out, &decode_error_reply(&error)).await.is_ok()
            }
            Step::Gone => false,
            Step::Timer => {
                let now = Instant::now();
                if passive_expiry.is_some_and(|t| t <= now) {
                    session.data = DataPlan::None;
                    true
                } else {
                    let _ = send(
                        &mut out,
                        &Reply::new(
                            ReplyCode::SERVICE_NOT_AVAILABLE,
                            "Timeout, closing control connection.",
                        ),
                    )
                    .await;
                    false
                }
            }
            Step::Shutdown => {
                session.drain_on_shutdown(&mut out).await;
                false
            }
        };
        if !keep_going {
            break;
        }
    }
    if let Some(running) = session.transfer.take() {
        running.task.abort();
        let _ = running.task.await;
    }
    let _ = out.shutdown().await;
    let user = match &session.state.login {
        LoginState::LoggedIn(login) => login.user.as_str(),
        _ => "-",
    };
    info!(
        user,
        elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "session end"
    );
}

fn far_future() -> Instant {
    Instant::now() + std::time::Duration::from_secs(86_400 * 365)
}

enum Step {
    TransferDone(Result<u64, TransferError>),
    Command(Command),
    Bad(DecodeError),
    Gone,
    Timer,
    Shutdown,
}

impl Session {
    /// Handles one command, writing its replies; `false` ends the session.
    async fn serve(&mut self, command: Command, out: &mut OwnedWriteHalf) -> bool {
        if self.transfer.is_some() {
            match &command {
                Command::Abor => return self.abort_transfer(out).await,
                Command::Stat(None) => return send(out, &self.transfer_status()).await.is_ok(),
                Command::Noop => {
                    return send(out, &Reply::new(ReplyCode::OK, "NOOP ok."))
                        .await
                        .is_ok();
                }
                _ => {
                    // Any other command waits for the transfer to end.
                    let result = transfer_done(&mut self.transfer).await;
                    let reply = self.end_transfer(result);
                    if send(out, &reply).await.is_err() {
                        return false;
                    }
                }
            }
        }
        match self.handle(command).await {
            Outcome::Reply(reply) => send(out, &reply).await.is_ok(),
            Outcome::Close(reply) => {
                let _ = send(out, &reply).await;
                false
            }
            Outcome::Transfer(preliminary, job) => {
                if send(out, &preliminary).await.is_err() {
                    return false;
                }
                self.start_transfer(*job);
                true
            }
        }
    }

    fn start_transfer(&mut self, job: transfer::TransferJob) {
        let progress = Arc::new(AtomicU64::new(0));
        let path = job.path.clone();
        let verb = match &job.work {
            transfer::Work::Send { .. } => "RETR",
            transfer::Work::Receive { .. } => "STOR",
            transfer::Work::List(_) => "LIST",
        };
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
            started: StdInstant::now(),
        });
    }

    /// Logs the end of a transfer and gives its final reply.
    fn end_transfer(&mut self, result: Result<u64, TransferError>) -> Reply {
        let Some(running) = self.transfer.take() else {
            return Reply::new(ReplyCode::LOCAL_ERROR, "No transfer.");
        };
        let reply = final_reply(&result, &running.path);
        let user = match &self.state.login {
            LoginState::LoggedIn(login) => login.user.as_str(),
            _ => "-",
        };
        let elapsed_ms = u64::try_from(running.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match &result {
            Ok(bytes) => {
                info!(user, verb = running.verb, path = %running.path, bytes, elapsed_ms, "transfer complete")
            }
            Err(error) => {
                warn!(user, verb = running.verb, path = %running.path, ?error, elapsed_ms, "transfer failed")
            }
        }
        reply
    }

    /// ABOR while a transfer runs: `426` for the transfer, then `226` for
    /// the ABOR (RFC 959 4.1.3).
    async fn abort_transfer(&mut self, out: &mut OwnedWriteHalf) -> bool {
        if let Some(running) = self.transfer.take() {
            running.task.abort();
            // Awaiting the task drops its upload, which discards it.
            let _ = running.task.await;
            info!(verb = running.verb, path = %running.path, "transfer aborted by client");
        }
        self.data = DataPlan::None;
        let aborted = Reply::new(
            ReplyCode::CONNECTION_CLOSED,
            "Connection closed; transfer aborted.",
        );
        send(out, &aborted).await.is_ok()
            && send(
                out,
                &Reply::new(
                    ReplyCode::CLOSING_DATA_CONNECTION,
                    "ABOR command successful.",
                ),
            )
            .await
            .is_ok()
    }

    fn transfer_status(&self) -> Reply {
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
    async fn drain_on_shutdown(&mut self, out: &mut OwnedWriteHalf) {
        if self.transfer.is_some() {
            let grace = self.ctx.options.shutdown_grace;
            if let Ok(result) = tokio::time::timeout(grace, transfer_done(&mut self.transfer)).await
            {
                let reply = self.end_transfer(result);
                let _ = send(out, &reply).await;
            }
        }
        let _ = send(
            out,
            &Reply::new(
                ReplyCode::SERVICE_NOT_AVAILABLE,
                "Server shutting down, closing control connection.",
            ),
        )
        .await;
    }
}
