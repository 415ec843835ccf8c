//! The stall bound on every store request: a request whose store moves
//! nothing for [`BlobConfig::stall_timeout`](crate::BlobConfig::stall_timeout)
//! fails with a timeout, which object_store and the REST client retry as
//! their policies say (`retry.rs`, `client.rs`).
//!
//! A store can fail in two ways. A dead one refuses the connection, and
//! the connect timeout and the retries bound that. A silent one (a hung
//! process, a black-holed route) accepts, or lets the kernel accept, and
//! then answers nothing: without a bound of its own the request waits for
//! the total request timeout (minutes), and so do the FTP command, the
//! upload's memory and the client behind it.
//!
//! Decisions:
//! - **Progress, not total time.** The clock restarts whenever the request
//!   body gives hyper another piece (the socket took the previous one) and
//!   whenever a response frame arrives; it runs while the request waits for
//!   the response's head. A part of any size on any link passes as long as
//!   it moves; a store that takes nothing, or answers nothing, fails within
//!   one stall period.
//! - **The body is handed out in pieces of [`PIECE`]**, so a part of
//!   megabytes in one buffer still shows its progress.
//! - **A response body is timed only while it is being waited for**: a
//!   reader that pauses (an FTP client reading slowly) is not the store's
//!   stall.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use object_store::client::{
    HttpError, HttpErrorKind, HttpRequest, HttpRequestBody, HttpResponse, HttpResponseBody,
    HttpService,
};
use tokio::time::{Instant, Sleep};

/// The largest piece of a request body given to hyper at once.
pub(crate) const PIECE: usize = 64 * 1024;

/// reqwest under a stall bound (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct StallGuarded {
    pub(crate) client: reqwest::Client,
    pub(crate) stall: Duration,
}

/// The store moved nothing for the stall timeout.
#[derive(Debug, thiserror::Error)]
#[error("the store sent and took nothing for {} s (stall timeout)", .0.as_secs_f32())]
pub(crate) struct Stalled(pub(crate) Duration);

/// When the request last moved.
type LastMove = Arc<Mutex<Instant>>;

fn touch(last: &LastMove) {
    *last
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Instant::now();
}

/// `stall` after `moment`; a stall bound too long to add (a setting of
/// centuries) waits a year instead of overflowing.
fn after(moment: Instant, stall: Duration) -> Instant {
    moment
        .checked_add(stall)
        .unwrap_or_else(|| moment + Duration::from_secs(365 * 86_400))
}

fn last_move(last: &LastMove) -> Instant {
    *last
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[async_trait]
impl HttpService for StallGuarded {
    async fn call(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        let last: LastMove = Arc::new(Mutex::new(Instant::now()));
        let (parts, body) = req.into_parts();
        let url = reqwest::Url::parse(&parts.uri.to_string())
            .map_err(|err| HttpError::new(HttpErrorKind::Unknown, err))?;
        let mut request = reqwest::Request::new(parts.method, url);
        *request.headers_mut() = parts.headers;
        *request.body_mut() = Some(reqwest::Body::wrap(Pieces {
            inner: body,
            pending: Bytes::new(),
            last: Arc::clone(&last),
        }));
        let response = self.client.execute(request);
        tokio::pin!(response);
        let response = loop {
            let deadline = after(last_move(&last), self.stall);
            tokio::select! {
                response = &mut response => break response,
                () = tokio::time::sleep_until(deadline) => {
                    if after(last_move(&last), self.stall) <= Instant::now() {
                        return Err(HttpError::new(HttpErrorKind::Timeout, Stalled(self.stall)));
                    }
                }
            }
        };
        let response = response.map_err(into_http_error)?;
        let response: http::Response<reqwest::Body> = response.into();
        let (parts, body) = response.into_parts();
        let body = HttpResponseBody::new(Watched {
            inner: body,
            stall: self.stall,
            sleep: None,
        });
        Ok(HttpResponse::from_parts(parts, body))
    }
}

/// A reqwest error as object_store classifies one: connect errors and
/// requests that never went out are retried, timeouts and cut connections
/// only for idempotent requests, anything else not at all.
fn into_http_error(err: reqwest::Error) -> HttpError {
    let err = err.without_url();
    let mut kind = if err.is_timeout() {
        HttpErrorKind::Timeout
    } else if err.is_connect() {
        HttpErrorKind::Connect
    } else if err.is_decode() {
        HttpErrorKind::Decode
    } else {
        HttpErrorKind::Unknown
    };
    let mut source = std::error::Error::source(&err);
    while let (HttpErrorKind::Unknown, Some(cause)) = (kind, source) {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as K;
            match io.kind() {
                K::TimedOut => kind = HttpErrorKind::Timeout,
                K::ConnectionAborted | K::ConnectionReset | K::BrokenPipe | K::UnexpectedEof => {
                    kind = HttpErrorKind::Interrupted;
                }
                _ => {}
            }
        }
        source = cause.source();
    }
    if kind == HttpErrorKind::Unknown && err.is_request() {
        // hyper's "connection closed before message completed".
        kind = HttpErrorKind::Request;
    }
    HttpError::new(kind, Described(describe(&err)))
}

/// A reqwest error with its whole chain of causes in one line ("error
/// sending request: client error (Connect): tcp connect error: Connection
/// refused"): the reason an FTP client is shown.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Described(String);

fn describe(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

/// A request body handed out in pieces of at most [`PIECE`], each one
/// noted as progress.
struct Pieces {
    inner: HttpRequestBody,
    pending: Bytes,
    last: LastMove,
}

impl Body for Pieces {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        let this = &mut *self;
        if this.pending.is_empty() {
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => this.pending = data,
                    Err(frame) => return Poll::Ready(Some(Ok(frame))),
                },
                other => return other,
            }
        }
        touch(&this.last);
        let piece = this.pending.split_to(this.pending.len().min(PIECE));
        Poll::Ready(Some(Ok(Frame::data(piece))))
    }

    fn is_end_stream(&self) -> bool {
        self.pending.is_empty() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let mut hint = self.inner.size_hint();
        let pending = self.pending.len() as u64;
        // Upper first: `set_lower` asserts lower <= upper, which an exact
        // hint raised by the lower bound alone would break.
        if let Some(upper) = hint.upper() {
            hint.set_upper(upper.saturating_add(pending));
        }
        hint.set_lower(hint.lower().saturating_add(pending));
        hint
    }
}

/// A response body that fails when a frame it waits for does not come
/// within the stall timeout.
struct Watched {
    inner: reqwest::Body,
    stall: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Body for Watched {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            this.sleep = None;
            return Poll::Ready(frame.map(|f| f.map_err(into_http_error)));
        }
        let stall = this.stall;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(stall)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                this.sleep = None;
                Poll::Ready(Some(Err(HttpError::new(
                    HttpErrorKind::Timeout,
                    Stalled(stall),
                ))))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests;
