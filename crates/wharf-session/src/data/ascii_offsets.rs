//! TYPE A sizes and restart offsets count the octets on the wire, CRLF
//! line ends included (RFC 3659 4.1: SIZE is "the exact number of octets
//! ... that would be transmitted over the data connection"; 5.1: a REST
//! marker counts octets of the data stream). Files are stored with LF line
//! ends, so both are found by reading the stored file once, counting each
//! LF not already preceded by CR as two octets, as `ToCrlf` sends it.

use std::io;

use tokio::io::AsyncBufReadExt;
use wharf_vfs::FileReader;

/// The default of `Options::ascii_scan_limit`: how far SIZE and a STOR
/// restart read a file to work out TYPE A octets. They run before the
/// transfer, while the client waits for a reply, so the read is bounded;
/// beyond it they are refused (TYPE I needs no read).
pub(crate) const SCAN_LIMIT: u64 = 16 * 1024 * 1024;

/// Counts stored bytes as wire octets.
#[derive(Debug, Default)]
struct WireCounter {
    last_was_cr: bool,
    /// Wire octets of the bytes counted so far.
    wire: u64,
}

impl WireCounter {
    /// Counts `chunk` until the wire count would pass `target`; returns
    /// the index in `chunk` of the first byte not wholly before `target`
    /// (the whole chunk's length if every byte is).
    ///
    /// An offset between the CR `ToCrlf` adds and its LF lands before the
    /// LF: a client resuming there sends the LF, which `FromCrlf` stores
    /// as the LF it replaces.
    fn scan(&mut self, chunk: &[u8], target: u64) -> usize {
        for (i, &byte) in chunk.iter().enumerate() {
            let octets = if byte == b'\n' && !self.last_was_cr {
                2
            } else {
                1
            };
            if self.wire + octets > target {
                return i;
            }
            self.wire += octets;
            self.last_was_cr = byte == b'\r';
        }
        chunk.len()
    }
}

/// The size of the stored file behind `reader` in TYPE A.
pub(crate) async fn wire_size(reader: FileReader) -> io::Result<u64> {
    Ok(scan_to(reader, u64::MAX).await?.wire)
}

/// Where, in the stored file behind `reader`, a TYPE A restart at wire
/// octet `target` resumes. Past the end of the file, the stored size plus
/// the excess, so that the storage refuses it as it refuses any restart
/// past the end.
pub(crate) async fn stored_offset(reader: FileReader, target: u64) -> io::Result<u64> {
    let scanned = scan_to(reader, target).await?;
    Ok(if scanned.reached {
        scanned.stored
    } else {
        scanned.stored + target.saturating_sub(scanned.wire)
    })
}

/// How far [`scan_to`] read.
struct Scanned {
    /// Stored bytes wholly before the target (or all of them).
    stored: u64,
    /// Their octets on the wire.
    wire: u64,
    /// Whether the target lies within the file (else the file ended first).
    reached: bool,
}

/// Reads until the wire count reaches `target` or the file ends.
async fn scan_to(mut reader: FileReader, target: u64) -> io::Result<Scanned> {
    let mut counter = WireCounter::default();
    let mut stored = 0u64;
    loop {
        let chunk = reader.fill_buf().await?;
        let len = chunk.len();
        let taken = counter.scan(chunk, target);
        stored += u64::try_from(taken).unwrap_or(u64::MAX);
        reader.consume(taken);
        let reached = taken < len || counter.wire == target;
        if reached || len == 0 {
            return Ok(Scanned {
                stored,
                wire: counter.wire,
                reached,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(bytes: &'static [u8]) -> FileReader {
        Box::new(tokio::io::BufReader::with_capacity(3, bytes))
    }

    #[tokio::test]
    async fn sizes_count_crlf_once() {
        assert_eq!(wire_size(reader(b"a\nb\n")).await.unwrap(), 6);
        assert_eq!(wire_size(reader(b"a\r\nb\r\n")).await.unwrap(), 6);
        assert_eq!(wire_size(reader(b"")).await.unwrap(), 0);
        // A lone CR stays one octet; the LF after it is already a line end.
        assert_eq!(wire_size(reader(b"\r\r\n\n")).await.unwrap(), 5);
    }

    #[tokio::test]
    async fn offsets_map_back_to_stored_bytes() {
        // "a\nb\n" goes out as "a\r\nb\r\n".
        let expect = [
            (0, 0),
            (1, 1),
            (2, 1),
            (3, 2),
            (4, 3),
            (5, 3),
            (6, 4),
            (9, 7),
        ];
        for (wire, stored) in expect {
            assert_eq!(
                stored_offset(reader(b"a\nb\n"), wire).await.unwrap(),
                stored,
                "wire offset {wire}"
            );
        }
    }
}
