//! CCC's TLS shutdown on the control connection (RFC 4217 section 12.3):
//! both sides send close_notify, then the same TCP connection carries clear
//! text.
//!
//! A client may send its first clear command right behind its close_notify
//! (Python's ftplib does, as soon as it has seen ours). Reading the socket
//! through the TLS stream would pull those bytes into the TLS layer's
//! buffer, where they are lost once TLS is dropped, and the session would
//! wait for a command it already swallowed. So the client's records are
//! read here one at a time, header first, exactly as long as each says:
//! nothing past its close_notify is taken from the socket.

use std::io::{self, Read};

use rustls::ServerConnection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::link::Link;

/// A TLS record header: content type, version, 16-bit length.
const HEADER: usize = 5;

/// The largest record a peer may send (TLS 1.2: 2^14 + 2048 of
/// ciphertext; TLS 1.3 allows less).
const MAX_RECORD: usize = 16_384 + 2_048;

/// Sends our close_notify and reads the client's. Application data the
/// client sent before its close_notify is dropped.
pub(crate) async fn close_tls(tcp: &mut Link, conn: &mut ServerConnection) -> io::Result<()> {
    conn.send_close_notify();
    let mut pending = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut pending)?;
    }
    tcp.write_all(&pending).await?;
    tcp.flush().await?;
    let mut record = Vec::with_capacity(HEADER + MAX_RECORD);
    loop {
        let state = conn.process_new_packets().map_err(io::Error::other)?;
        discard_plaintext(conn);
        if state.peer_has_closed() {
            return Ok(());
        }
        record.resize(HEADER, 0);
        tcp.read_exact(&mut record).await?;
        let length = usize::from(u16::from_be_bytes([record[3], record[4]]));
        if length > MAX_RECORD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "TLS record too long",
            ));
        }
        record.resize(HEADER + length, 0);
        tcp.read_exact(&mut record[HEADER..]).await?;
        let mut rest = &record[..];
        while !rest.is_empty() {
            if conn.read_tls(&mut rest)? == 0 {
                return Err(io::Error::other("the TLS layer takes no more input"));
            }
        }
    }
}

fn discard_plaintext(conn: &mut ServerConnection) {
    let mut scratch = [0u8; 512];
    while matches!(conn.reader().read(&mut scratch), Ok(n) if n > 0) {}
}
