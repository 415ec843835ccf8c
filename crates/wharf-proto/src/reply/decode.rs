//! Reading replies, for FTP clients and proxies.
//!
//! RFC 959 4.2: a multi-line reply starts with `<code>-` and ends with the
//! first line that starts with the same code followed by a space. Lines in
//! between may start with anything, digits included; a line that is just
//! the three digits also ends the reply, as some servers send it.

use bytes::BytesMut;

use super::{Reply, ReplyCode};
use crate::error::ReplyError;
use crate::framer::{DEFAULT_MAX_LINE, LineFramer};
use crate::text::Text;

/// The default limit on a whole multi-line reply (a long `STAT` listing fits).
pub const DEFAULT_MAX_REPLY: usize = 4 * 1024 * 1024;

/// An incremental reply decoder with bounded memory.
#[derive(Debug, Clone)]
pub struct ReplyDecoder {
    framer: LineFramer,
    max_reply: usize,
    /// A multi-line reply whose last line has not come yet.
    pending: Option<(ReplyCode, Vec<Text>, usize)>,
}

impl Default for ReplyDecoder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_LINE, DEFAULT_MAX_REPLY)
    }
}

impl ReplyDecoder {
    /// A decoder with a limit per line and a limit per reply, in bytes.
    pub fn new(max_line: usize, max_reply: usize) -> Self {
        Self {
            framer: LineFramer::new(max_line),
            max_reply,
            pending: None,
        }
    }

    /// Takes the next complete reply out of `buf`, or `Ok(None)` if more
    /// bytes are needed. After an error the decoder is reset and may be used
    /// again, though a client will usually close the connection.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Reply>, ReplyError> {
        loop {
            let line = match self.framer.next_line(buf) {
                Ok(Some(line)) => line,
                Ok(None) => return Ok(None),
                Err(e) => {
                    self.pending = None;
                    return Err(ReplyError::LineTooLong { limit: e.limit });
                }
            };
            match self.take_line(line) {
                Ok(Some(reply)) => return Ok(Some(reply)),
                Ok(None) => {}
                Err(e) => {
                    self.pending = None;
                    return Err(e);
                }
            }
        }
    }

    fn take_line(&mut self, line: Vec<u8>) -> Result<Option<Reply>, ReplyError> {
        let Some((code, lines, size)) = &mut self.pending else {
            let (code, separator, text) = split_line(&line).ok_or(ReplyError::Malformed)?;
            let text = text_of(text)?;
            return Ok(match separator {
                Some(b'-') => {
                    self.pending = Some((code, vec![text], line.len()));
                    None
                }
                _ => Some(Reply {
                    code,
                    lines: vec![text],
                }),
            });
        };
        *size += line.len();
        if *size > self.max_reply {
            return Err(ReplyError::ReplyTooLong {
                limit: self.max_reply,
            });
        }
        let is_last = match split_line(&line) {
            Some((c, separator, _)) => c == *code && separator != Some(b'-'),
            None => false,
        };
        if is_last {
            let text = text_of(line.get(4..).unwrap_or_default())?;
            lines.push(text);
            let (code, lines, _) = self.pending.take().ok_or(ReplyError::Malformed)?;
            return Ok(Some(Reply { code, lines }));
        }
        lines.push(text_of(&line)?);
        Ok(None)
    }
}

/// Splits `<code>[SP|-]<text>`; the separator is `None` for a bare code.
fn split_line(line: &[u8]) -> Option<(ReplyCode, Option<u8>, &[u8])> {
    let code = ReplyCode::from_digits(line.get(..3)?)?;
    match line.get(3) {
        None => Some((code, None, &[])),
        Some(&sep @ (b' ' | b'-')) => Some((code, Some(sep), &line[4..])),
        Some(_) => None,
    }
}

fn text_of(bytes: &[u8]) -> Result<Text, ReplyError> {
    Text::new(bytes).map_err(|_| ReplyError::ForbiddenByte)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8]) -> Vec<Result<Reply, ReplyError>> {
        let mut decoder = ReplyDecoder::default();
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(reply)) => out.push(Ok(reply)),
                Ok(None) => return out,
                Err(e) => out.push(Err(e)),
            }
        }
    }

    #[test]
    fn rfc959_multiline_example() {
        // RFC 959 4.2, the example with a line beginning with digits.
        let input = b"123-First line\r\nSecond line\r\n  234 A line beginning with numbers\r\n123 The last line\r\n";
        let replies = decode_all(input);
        let reply = replies[0].as_ref().unwrap();
        assert_eq!(reply.code().get(), 123);
        let lines: Vec<_> = reply.lines().iter().map(|l| l.to_string_lossy()).collect();
        assert_eq!(
            lines,
            [
                "First line",
                "Second line",
                "  234 A line beginning with numbers",
                "The last line"
            ]
        );
    }

    #[test]
    fn inner_line_with_same_code_and_hyphen_does_not_end_the_reply() {
        let replies = decode_all(b"211-Features:\r\n211-still going\r\n211 End\r\n");
        assert_eq!(replies[0].as_ref().unwrap().lines().len(), 3);
    }

    #[test]
    fn bare_code_ends_a_reply() {
        let replies = decode_all(b"226\r\n");
        let reply = replies[0].as_ref().unwrap();
        assert_eq!(reply.code(), ReplyCode::CLOSING_DATA_CONNECTION);
        assert!(reply.lines()[0].is_empty());
    }

    #[test]
    fn garbage_is_malformed_and_decoder_recovers() {
        let replies = decode_all(b"hello\r\n200 ok\r\n");
        assert_eq!(replies[0], Err(ReplyError::Malformed));
        assert_eq!(replies[1].as_ref().unwrap().code(), ReplyCode::OK);
    }

    #[test]
    fn oversized_multiline_reply_is_refused() {
        let mut decoder = ReplyDecoder::new(100, 50);
        let mut buf = BytesMut::from(&b"211-a\r\n0123456789012345678901234567890123456789\r\n0123456789012345678901234567890123456789\r\n211 end\r\n"[..]);
        assert_eq!(
            decoder.decode(&mut buf),
            Err(ReplyError::ReplyTooLong { limit: 50 })
        );
    }

    #[test]
    fn encode_then_decode_round_trips() {
        let reply = Reply::multiline(ReplyCode::SYSTEM_STATUS, ["Features:", " UTF8", "End"]);
        let mut buf = BytesMut::from(&reply.to_bytes()[..]);
        assert_eq!(ReplyDecoder::default().decode(&mut buf), Ok(Some(reply)));
    }
}
