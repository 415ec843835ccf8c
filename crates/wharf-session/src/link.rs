//! The byte stream under a control or data connection: a TCP socket, or an
//! in-process pipe.
//!
//! The engine never needs more of a connection than its bytes and, for
//! TCP, a few socket options and zero-copy sends. Taking either kind as one
//! type lets a whole session (TLS included) run over [`tokio::io::duplex`]
//! pipes, so the engine's tests drive it line by line in process, without
//! a socket. tokio-util's `Either` forwards every read and write to the one
//! it holds.

use tokio::io::DuplexStream;
use tokio::net::TcpStream;
use tokio_util::either::Either;

/// A connection's bytes: a TCP socket, or one end of an in-process pipe.
pub(crate) type Link = Either<TcpStream, DuplexStream>;

/// A TCP connection as a link.
pub(crate) fn tcp(stream: TcpStream) -> Link {
    Either::Left(stream)
}

/// One end of an in-process pipe as a link.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn pipe(stream: DuplexStream) -> Link {
    Either::Right(stream)
}

/// The TCP socket under `link`, for socket options and `sendfile`.
pub(crate) fn socket(link: &Link) -> Option<&TcpStream> {
    match link {
        Either::Left(tcp) => Some(tcp),
        Either::Right(_) => None,
    }
}
