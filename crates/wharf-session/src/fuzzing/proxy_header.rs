//! The PROXY header reader ([`crate::proxy`]) fed from a stream that hands
//! out its bytes in the chunks a fuzz input chooses.

use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, ReadBuf};

/// What reading a header gave.
#[derive(Debug)]
pub struct ProxyRead {
    /// The client the header names, or why it was refused.
    pub client: Result<Option<SocketAddr>, String>,
    /// How many bytes the reader took from the stream.
    pub consumed: usize,
}

/// Reads a PROXY header from `chunks`, delivered one chunk (at most) per
/// read, then the end of the stream.
pub fn read_proxy_header(chunks: &[&[u8]]) -> ProxyRead {
    let mut stream = Chunks {
        chunks: chunks.iter().map(|c| c.to_vec()).collect(),
        consumed: 0,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build();
    let client = match runtime {
        Ok(runtime) => runtime
            .block_on(crate::proxy::read_client(
                &mut stream,
                Duration::from_secs(5),
            ))
            .map_err(|e| e.to_string()),
        Err(e) => Err(format!("no runtime: {e}")),
    };
    ProxyRead {
        client,
        consumed: stream.consumed,
    }
}

/// A stream of fixed chunks.
struct Chunks {
    chunks: std::collections::VecDeque<Vec<u8>>,
    consumed: usize,
}

impl AsyncRead for Chunks {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        while let Some(chunk) = self.chunks.front_mut() {
            if chunk.is_empty() {
                self.chunks.pop_front();
                continue;
            }
            let n = chunk.len().min(buf.remaining());
            buf.put_slice(&chunk[..n]);
            chunk.drain(..n);
            self.consumed += n;
            break;
        }
        Poll::Ready(Ok(()))
    }
}
