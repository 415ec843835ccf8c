//! Splitting the control connection into lines, with a hard length limit.
//!
//! RFC 959 ends every command and reply line with Telnet end-of-line,
//! `<CRLF>`. Lenient clients send a bare `<LF>`, which is accepted too. A
//! line longer than the limit is never buffered: it is reported once
//! ([`LineTooLong`]) and the rest of it, up to the next `<LF>`, is discarded,
//! so a peer that never sends a line break costs at most the limit in memory.

use bytes::{Buf, BytesMut};

use crate::telnet;

/// The default longest line, 8 KiB without the line break.
pub const DEFAULT_MAX_LINE: usize = 8 * 1024;

/// A line exceeded the framer's limit and was discarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("line longer than {limit} bytes")]
pub struct LineTooLong {
    /// The limit, in bytes.
    pub limit: usize,
}

/// An incremental line splitter for the control connection.
///
/// Feed it the bytes read so far, always in the same buffer (one framer per
/// connection); each call to [`LineFramer::next_line`] takes at most one
/// line out of the buffer, with `<CRLF>` (or `<LF>`)
/// removed and Telnet sequences interpreted ([`telnet::unescape`]).
#[derive(Debug, Clone)]
pub struct LineFramer {
    max_len: usize,
    /// How far `buf` has been searched for `<LF>` already.
    scanned: usize,
    /// Inside an overlong line that was already reported.
    discarding: bool,
}

impl Default for LineFramer {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_LINE)
    }
}

impl LineFramer {
    /// A framer whose lines hold at most `max_len` bytes (without the line
    /// break). A `max_len` of 0 is raised to 1.
    pub fn new(max_len: usize) -> Self {
        Self {
            max_len: max_len.max(1),
            scanned: 0,
            discarding: false,
        }
    }

    /// The limit, in bytes.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Takes the next complete line out of `buf`.
    ///
    /// Returns `Ok(None)` when `buf` holds no complete line yet (all of it
    /// stays buffered, unless it belongs to a line already reported as too
    /// long). Returns `Err` once per overlong line; call again to go on.
    pub fn next_line(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<u8>>, LineTooLong> {
        loop {
            // If the caller emptied the buffer since the last call, the
            // remembered offset is stale: scan from the start again.
            if self.scanned > buf.len() {
                self.scanned = 0;
            }
            let start = self.scanned;
            let newline = buf[start..]
                .iter()
                .position(|&b| b == b'\n')
                .map(|i| i + start);
            if self.discarding {
                match newline {
                    Some(end) => {
                        buf.advance(end + 1);
                        self.scanned = 0;
                        self.discarding = false;
                        continue;
                    }
                    None => {
                        buf.clear();
                        self.scanned = 0;
                        return Ok(None);
                    }
                }
            }
            let Some(end) = newline else {
                // One byte of slack for the CR of a line exactly at the limit.
                if buf.len() > self.max_len + 1 {
                    buf.clear();
                    self.scanned = 0;
                    self.discarding = true;
                    return Err(LineTooLong {
                        limit: self.max_len,
                    });
                }
                self.scanned = buf.len();
                return Ok(None);
            };
            let raw = buf.split_to(end + 1);
            self.scanned = 0;
            let content = &raw[..end];
            let content = content.strip_suffix(b"\r").unwrap_or(content);
            if content.len() > self.max_len {
                return Err(LineTooLong {
                    limit: self.max_len,
                });
            }
            return Ok(Some(telnet::unescape(content)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(framer: &mut LineFramer, input: &[u8]) -> Vec<Result<Vec<u8>, LineTooLong>> {
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        loop {
            match framer.next_line(&mut buf) {
                Ok(Some(line)) => out.push(Ok(line)),
                Ok(None) => return out,
                Err(e) => out.push(Err(e)),
            }
        }
    }

    #[test]
    fn crlf_and_bare_lf_both_end_lines() {
        let mut framer = LineFramer::default();
        assert_eq!(
            lines(&mut framer, b"USER a\r\nPASS b\nNOOP"),
            vec![Ok(b"USER a".to_vec()), Ok(b"PASS b".to_vec())]
        );
    }

    #[test]
    fn crlf_split_across_reads_is_one_line() {
        let mut framer = LineFramer::default();
        let mut buf = BytesMut::from(&b"NOOP\r"[..]);
        assert_eq!(framer.next_line(&mut buf), Ok(None));
        buf.extend_from_slice(b"\n");
        assert_eq!(framer.next_line(&mut buf), Ok(Some(b"NOOP".to_vec())));
        assert!(buf.is_empty());
    }

    #[test]
    fn overlong_line_is_reported_once_and_skipped() {
        let mut framer = LineFramer::new(8);
        let mut buf = BytesMut::from(&b"RETR 0123456789"[..]);
        assert_eq!(framer.next_line(&mut buf), Err(LineTooLong { limit: 8 }));
        assert!(buf.is_empty(), "overlong input must not stay buffered");
        buf.extend_from_slice(b"more bytes of the same line");
        assert_eq!(framer.next_line(&mut buf), Ok(None));
        assert!(buf.is_empty());
        buf.extend_from_slice(b"tail\r\nNOOP\r\n");
        assert_eq!(framer.next_line(&mut buf), Ok(Some(b"NOOP".to_vec())));
    }

    #[test]
    fn overlong_complete_line_is_reported() {
        let mut framer = LineFramer::new(4);
        assert_eq!(
            lines(&mut framer, b"ABCDE\r\nABCD\r\n"),
            vec![Err(LineTooLong { limit: 4 }), Ok(b"ABCD".to_vec())]
        );
    }

    #[test]
    fn line_at_the_limit_with_cr_pending_is_kept() {
        let mut framer = LineFramer::new(4);
        let mut buf = BytesMut::from(&b"ABCD\r"[..]);
        assert_eq!(framer.next_line(&mut buf), Ok(None));
        buf.extend_from_slice(b"\n");
        assert_eq!(framer.next_line(&mut buf), Ok(Some(b"ABCD".to_vec())));
    }

    #[test]
    fn a_buffer_emptied_between_calls_is_fine() {
        let mut framer = LineFramer::default();
        let mut buf = BytesMut::from(&b"NOOP and more"[..]);
        assert_eq!(framer.next_line(&mut buf), Ok(None));
        let mut other = BytesMut::from(&b"QUIT\r\n"[..]);
        assert_eq!(framer.next_line(&mut other), Ok(Some(b"QUIT".to_vec())));
    }

    #[test]
    fn telnet_sequences_are_interpreted() {
        let mut framer = LineFramer::default();
        assert_eq!(
            lines(&mut framer, b"\xff\xf4\xff\xf2ABOR\r\n"),
            vec![Ok(b"ABOR".to_vec())]
        );
    }
}
