//! The read/reply loop of a control connection.
//!
//! One task per connection. It reads command lines through
//! [`ServerCodec`], hands each to a handler, and writes the reply; a
//! transfer runs in a task of its own, so that while it runs the loop keeps
//! reading: ABOR, STAT and NOOP are answered at once, other commands wait
//! for the transfer's final reply (RFC 959 allows either; `serve.rs`). `AUTH TLS` and
//! `CCC` swap the stream under the loop (see [`upgrade`] and [`downgrade`]).

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use futures_util::StreamExt;
use tokio::io::{ReadHalf, WriteHalf};
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until, timeout, timeout_at};
use tracing::{Instrument, debug, info, info_span, warn};
use wharf_proto::{Command, DecodeError, Reply, ReplyCode};

use super::control_reader::ControlReader;
use super::control_stream::ControlStream;
use super::counted::Counted;
use super::reply_map::sentence;
use super::reply_writer::ReplyWriter;
use super::security::Security;
use super::state::LoginState;
use super::tls_close::close_tls;
use super::{RunningTransfer, ServerContext, Session};
use crate::data::outcome::{Finished, TransferError};
use crate::data::plan::DataPlan;
use crate::data::socket::tune_control;
use crate::link::{self, Link};
use crate::observe::{HandshakeResult, TlsChannel, TransferStatus};
use crate::tls::Registration;

type Commands = ControlReader<ReadHalf<Counted<ControlStream>>>;
pub(super) type Replies = ReplyWriter<WriteHalf<Counted<ControlStream>>>;

/// How long a TLS handshake on the control connection may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// The reply for a line that did not decode.
fn decode_error_reply(error: &DecodeError) -> Reply {
    let code = error.reply_code().unwrap_or(ReplyCode::SYNTAX_ERROR);
    Reply::new(code, &sentence(&error.to_string()))
}

/// Waits for the running transfer; never resolves when there is none.
pub(super) async fn transfer_done(transfer: &mut Option<RunningTransfer>) -> Finished {
    match transfer {
        Some(running) => match (&mut running.task).await {
            Ok(finished) => finished,
            Err(e) => Finished {
                result: Err(TransferError::Broken(std::io::Error::other(e.to_string()))),
                keep: None,
            },
        },
        None => std::future::pending().await,
    }
}

fn framed(stream: ControlStream, session: &Session) -> (Commands, Replies) {
    let options = &session.ctx.options;
    let counted = Counted::new(stream, session.control_bytes.clone());
    let (read, write) = tokio::io::split(counted);
    (
        ControlReader::new(read, options.max_line),
        ReplyWriter::new(write, options.control_write_timeout),
    )
}

/// Serves one control connection until it closes, times out, or the server
/// shuts down. `implicit` connections start with a TLS handshake (implicit
/// FTPS).
pub(crate) async fn run_session(
    ctx: Arc<ServerContext>,
    link: Link,
    peer: SocketAddr,
    local: SocketAddr,
    implicit: bool,
    shutdown: watch::Receiver<bool>,
) {
    let span = info_span!("session", %peer);
    let mut session = Session::new(ctx, peer, local, implicit);
    async {
        session.observe(|o, s| o.session_opened(s));
        drive(&mut session, link, shutdown).await;
        if let Some(mut running) = session.transfer.take() {
            running.task.abort();
            let _ = (&mut running.task).await;
            session.report_transfer(&running, TransferStatus::Aborted, None, None);
        }
        session.observe(|o, s| o.session_closed(s));
    }
    .instrument(span)
    .await;
}

async fn drive(session: &mut Session, link: Link, mut shutdown: watch::Receiver<bool>) {
    let ctx = session.ctx.clone();
    let (local, implicit) = (session.local, session.implicit);
    if let Some(tcp) = link::socket(&link) {
        tune_control(tcp, ctx.options.keepalive);
    }
    let started = StdInstant::now();
    // From the connection's start, whatever the client does: the implicit
    // TLS handshake, every reply write and every command before login end
    // at it (a REIN starts a new one).
    let mut login_deadline = Instant::now() + ctx.options.login_timeout;
    let stream = if implicit {
        let (Some(tls), Some(registration)) = (&ctx.tls, session.sibling_entry()) else {
            return;
        };
        // Boxed, like every large step below: the session's future stays
        // small while it idles (it lives as long as the connection).
        let handshake_deadline = login_deadline.min(Instant::now() + HANDSHAKE_TIMEOUT);
        match Box::pin(timeout_at(
            handshake_deadline,
            tls.accept_control(link, registration),
        ))
        .await
        {
            Ok(Ok((stream, registration))) => {
                session.state.security = Security::implicit();
                session.siblings = Some(registration);
                session.observe_handshake(TlsChannel::Control, HandshakeResult::Completed);
                ControlStream::Tls(Box::new(stream))
            }
            Ok(Err(error)) => {
                debug!(%error, "implicit TLS handshake failed");
                session.observe_handshake(TlsChannel::Control, HandshakeResult::Failed);
                return;
            }
            Err(_) => {
                debug!("implicit TLS handshake timed out");
                session.observe_handshake(TlsChannel::Control, HandshakeResult::TimedOut);
                return;
            }
        }
    } else {
        ControlStream::plain(link)
    };
    let (mut commands, mut out) = framed(stream, session);
    out.set_hard_deadline(Some(login_deadline));
    let idle = ctx.options.idle_timeout;
    info!(local = %local, implicit_tls = implicit, "session start");
    let greeting = Reply::new(ReplyCode::SERVICE_READY, &ctx.options.greeting);
    if out.send(&greeting).await.is_err() {
        return;
    }
    let mut idle_deadline = Instant::now() + idle;
    let mut was_logged_in = false;
    loop {
        let logged_in = matches!(session.state.login, LoginState::LoggedIn(_));
        if was_logged_in && !logged_in {
            // REIN: a new login gets the time a new connection would.
            login_deadline = Instant::now() + ctx.options.login_timeout;
        }
        was_logged_in = logged_in;
        let hard_deadline = (!logged_in).then_some(login_deadline);
        out.set_hard_deadline(hard_deadline);
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
        let flow = match step {
            Step::TransferDone(result) => {
                let reply = session.end_transfer(result);
                idle_deadline = Instant::now() + idle;
                ok(out.send(&reply).await)
            }
            Step::Command(command) => {
                idle_deadline = Instant::now() + idle;
                let served = Box::pin(session.serve(command, &mut out));
                match hard_deadline {
                    // A slow login step (the argon2 queue, the failed-login
                    // delay) cannot stretch the login deadline either.
                    Some(deadline) => timeout_at(deadline, served).await.unwrap_or(Flow::Close),
                    None => served.await,
                }
            }
            Step::Bad(error) => {
                debug!(%error, "undecodable command");
                idle_deadline = Instant::now() + idle;
                ok(out.send(&decode_error_reply(&error)).await)
            }
            Step::Gone => Flow::Close,
            Step::Timer => {
                let now = Instant::now();
                if passive_expiry.is_some_and(|t| t <= now) {
                    session.data = DataPlan::Expired;
                    Flow::Continue
                } else {
                    let timeout = Reply::new(
                        ReplyCode::SERVICE_NOT_AVAILABLE,
                        "Timeout, closing control connection.",
                    );
                    let _ = out.send(&timeout).await;
                    Flow::Close
                }
            }
            Step::Shutdown => {
                Box::pin(session.drain_on_shutdown(&mut out)).await;
                Flow::Close
            }
        };
        session.charge_control();
        match flow {
            Flow::Continue => {}
            Flow::Close => break,
            Flow::StartTls => {
                // Boxed before it reaches `bounded`: an argument lives in the
                // callee's future from the start, and a TLS handshake's state
                // (rustls's connection) would otherwise make every session's
                // future about 1.4 KiB larger for as long as it is open.
                let registration = session.sibling_entry();
                let upgrading = Box::pin(upgrade(commands, out, session, registration));
                match bounded(hard_deadline, upgrading).await {
                    Some((c, o, registration)) => {
                        (commands, out) = (c, o);
                        session.state.secured();
                        session.siblings = Some(registration);
                        // Nothing set up in clear carries over.
                        session.data = DataPlan::None;
                        info!("control connection secured with TLS");
                    }
                    None => {
                        session.transfer = None;
                        return;
                    }
                }
            }
            Flow::EndTls => match Box::pin(downgrade(commands, out, session)).await {
                Some((c, o)) => {
                    (commands, out) = (c, o);
                    session.state.security = session.state.security.control_cleared();
                    info!("control connection back in clear (CCC)");
                }
                None => return,
            },
        }
    }
    out.shutdown().await;
    session.charge_control();
    let user = match &session.state.login {
        LoginState::LoggedIn(login) => login.user.as_str(),
        _ => "-",
    };
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    info!(user, elapsed_ms, "session end");
}

/// AUTH TLS: the 234 is out; the next bytes are the client's handshake.
async fn upgrade(
    commands: Commands,
    out: Replies,
    session: &Session,
    registration: Option<Registration>,
) -> Option<(Commands, Replies, Registration)> {
    if !commands.pending().is_empty() {
        // A client that sent more after AUTH TLS without waiting for 234.
        warn!("bytes after AUTH TLS before the handshake; closing");
        return None;
    }
    let ControlStream::Plain { link, .. } =
        commands.into_inner().unsplit(out.into_inner()).into_inner()
    else {
        return None;
    };
    let (tls, registration) = (session.ctx.tls.as_ref()?, registration?);
    let handshake = tls.accept_control(link, registration);
    let (result, framed) = match timeout(HANDSHAKE_TIMEOUT, handshake).await {
        Ok(Ok((stream, registration))) => {
            let (commands, out) = framed(ControlStream::Tls(Box::new(stream)), session);
            (
                HandshakeResult::Completed,
                Some((commands, out, registration)),
            )
        }
        Ok(Err(error)) => {
            warn!(%error, "TLS handshake after AUTH TLS failed");
            (HandshakeResult::Failed, None)
        }
        Err(_) => {
            warn!("TLS handshake after AUTH TLS timed out");
            (HandshakeResult::TimedOut, None)
        }
    };
    session.observe_handshake(TlsChannel::Control, result);
    framed
}

/// CCC: the 200 is out (encrypted); exchange close_notify and go on in
/// clear on the same TCP connection (RFC 4217 section 12.3).
async fn downgrade(
    commands: Commands,
    out: Replies,
    session: &Session,
) -> Option<(Commands, Replies)> {
    let ControlStream::Tls(tls) = commands.into_inner().unsplit(out.into_inner()).into_inner()
    else {
        return None;
    };
    let (mut tcp, mut conn) = (*tls).into_inner();
    match timeout(HANDSHAKE_TIMEOUT, close_tls(&mut tcp, &mut conn)).await {
        Ok(Ok(())) => Some(framed(ControlStream::plain(tcp), session)),
        Ok(Err(error)) => {
            warn!(%error, "TLS shutdown after CCC failed");
            None
        }
        Err(_) => {
            warn!("TLS shutdown after CCC timed out");
            None
        }
    }
}

/// A TLS upgrade before login ends at the login deadline too. The step
/// comes boxed (see the caller).
async fn bounded<T>(
    deadline: Option<Instant>,
    step: Pin<Box<impl Future<Output = Option<T>>>>,
) -> Option<T> {
    match deadline {
        Some(deadline) => timeout_at(deadline, step).await.ok().flatten(),
        None => step.await,
    }
}

pub(super) fn ok(result: std::io::Result<()>) -> Flow {
    if result.is_ok() {
        Flow::Continue
    } else {
        Flow::Close
    }
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365)
}

enum Step {
    TransferDone(Finished),
    Command(Command),
    Bad(DecodeError),
    Gone,
    Timer,
    Shutdown,
}

/// What the loop does after a command.
pub(super) enum Flow {
    Continue,
    Close,
    StartTls,
    EndTls,
}
