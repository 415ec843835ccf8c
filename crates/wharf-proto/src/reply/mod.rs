//! Replies: a code and one or more lines of text (RFC 959 section 4.2).
//!
//! ```text
//! single line:  <code> SP <text> CRLF
//! multi-line:   <code> "-" <text> CRLF
//!               <any line not starting with <code> SP> CRLF   (0 or more)
//!               <code> SP <text> CRLF
//! ```
//!
//! RFC 959 asks the server to pad an intermediate line that begins with
//! digits so that it cannot be mistaken for the last line; [`Reply::encode`]
//! prefixes such lines with a space.

mod code;
mod decode;

pub use code::{ReplyClass, ReplyCode};
pub use decode::{DEFAULT_MAX_REPLY, ReplyDecoder};

use crate::telnet;
use crate::text::{Text, TextError};

/// A reply: a code and at least one line of text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Reply {
    code: ReplyCode,
    /// Never empty.
    lines: Vec<Text>,
}

impl Reply {
    /// A single-line reply. CR, LF and NUL in `text` are replaced by spaces
    /// (an error message from a back-end may hold a line break); use
    /// [`Reply::try_new`] to refuse them instead.
    pub fn new(code: ReplyCode, text: &str) -> Self {
        Self {
            code,
            lines: vec![sanitize(text.as_bytes())],
        }
    }

    /// A single-line reply from raw bytes, refusing CR, LF and NUL.
    pub fn try_new(code: ReplyCode, text: impl Into<Vec<u8>>) -> Result<Self, TextError> {
        Ok(Self {
            code,
            lines: vec![Text::new(text)?],
        })
    }

    /// A reply of the given lines; a single line if there is one, an empty
    /// single line if there are none.
    pub fn from_lines(code: ReplyCode, lines: impl IntoIterator<Item = Text>) -> Self {
        let mut lines: Vec<Text> = lines.into_iter().collect();
        if lines.is_empty() {
            lines.push(Text::empty());
        }
        Self { code, lines }
    }

    /// A multi-line reply from `&str` lines; CR, LF and NUL become spaces.
    pub fn multiline<'a>(code: ReplyCode, lines: impl IntoIterator<Item = &'a str>) -> Self {
        Self::from_lines(code, lines.into_iter().map(|l| sanitize(l.as_bytes())))
    }

    /// A reply that names a pathname in double quotes, as PWD and MKD
    /// replies do (RFC 959 Appendix II): `257 "/a ""b""" created.`
    /// Embedded quotes are doubled.
    pub fn with_quoted_path(code: ReplyCode, path: &[u8], comment: &str) -> Self {
        let mut text = Vec::with_capacity(path.len() + comment.len() + 3);
        text.push(b'"');
        for &byte in path {
            if byte == b'"' {
                text.push(b'"');
            }
            text.push(byte);
        }
        text.push(b'"');
        if !comment.is_empty() {
            text.push(b' ');
            text.extend_from_slice(comment.as_bytes());
        }
        Self {
            code,
            lines: vec![sanitize(&text)],
        }
    }

    /// The code.
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// The lines of text, at least one.
    pub fn lines(&self) -> &[Text] {
        &self.lines
    }

    /// Whether the reply spans several lines.
    pub fn is_multiline(&self) -> bool {
        self.lines.len() > 1
    }

    /// Appends the reply, with its line breaks, to `out`. 0xFF bytes are
    /// doubled as Telnet requires.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let code = self.code.digits();
        let last = self.lines.len() - 1;
        for (i, line) in self.lines.iter().enumerate() {
            let bytes = line.as_bytes();
            if i == 0 {
                out.extend_from_slice(&code);
                out.push(if last == 0 { b' ' } else { b'-' });
            } else if i == last {
                out.extend_from_slice(&code);
                out.push(b' ');
            } else if bytes.first().is_some_and(u8::is_ascii_digit) {
                out.push(b' ');
            }
            telnet::escape_into(bytes, out);
            out.extend_from_slice(b"\r\n");
        }
    }

    /// The encoded reply as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

/// Replaces the bytes a reply line cannot hold by spaces.
fn sanitize(bytes: &[u8]) -> Text {
    let cleaned: Vec<u8> = bytes
        .iter()
        .map(|&b| {
            if matches!(b, b'\r' | b'\n' | 0) {
                b' '
            } else {
                b
            }
        })
        .collect();
    Text::new(cleaned).unwrap_or_default()
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("code", &self.code.get())
            .field("lines", &self.lines)
            .finish()
    }
}

impl std::fmt::Display for Reply {
    /// The reply as it would be sent, lossily decoded as UTF-8.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_line() {
        let reply = Reply::new(ReplyCode::SERVICE_READY, "Wharf ready");
        assert_eq!(reply.to_bytes(), b"220 Wharf ready\r\n");
    }

    #[test]
    fn multi_line_pads_lines_starting_with_digits() {
        let reply = Reply::multiline(
            ReplyCode::SYSTEM_STATUS,
            ["Extensions supported:", " MDTM", "123 not the end", "End"],
        );
        assert_eq!(
            reply.to_bytes(),
            b"211-Extensions supported:\r\n MDTM\r\n 123 not the end\r\n211 End\r\n"
        );
    }

    #[test]
    fn quoted_path_doubles_quotes() {
        let reply = Reply::with_quoted_path(ReplyCode::PATHNAME_CREATED, b"/a \"b\"", "created");
        assert_eq!(reply.to_bytes(), b"257 \"/a \"\"b\"\"\" created\r\n");
    }

    #[test]
    fn iac_in_text_is_doubled() {
        let reply = Reply::try_new(ReplyCode::OK, vec![b'x', 0xff]).unwrap();
        assert_eq!(reply.to_bytes(), b"200 x\xff\xff\r\n");
    }

    #[test]
    fn line_breaks_in_text_cannot_split_a_reply() {
        let reply = Reply::new(ReplyCode::LOCAL_ERROR, "disk error:\r\n226 fake");
        assert_eq!(reply.to_bytes(), b"451 disk error:  226 fake\r\n");
        assert!(Reply::try_new(ReplyCode::OK, *b"a\nb").is_err());
    }

    #[test]
    fn empty_line_list_becomes_one_empty_line() {
        let reply = Reply::from_lines(ReplyCode::OK, []);
        assert_eq!(reply.to_bytes(), b"200 \r\n");
    }
}
