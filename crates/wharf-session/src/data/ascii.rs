//! TYPE A on the wire: lines end in CRLF (RFC 959 3.1.1.1). Files are
//! stored with the server's LF line ends. Both converters keep state across
//! buffer boundaries, since a CR and its LF may arrive in different reads.

/// LF -> CRLF for downloads. An LF already preceded by CR is left alone, so
/// files that already have CRLF line ends are not doubled.
#[derive(Debug, Default)]
pub(crate) struct ToCrlf {
    last_was_cr: bool,
}

impl ToCrlf {
    pub(crate) fn convert(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() + input.len() / 16);
        for &byte in input {
            if byte == b'\n' && !self.last_was_cr {
                out.push(b'\r');
            }
            out.push(byte);
            self.last_was_cr = byte == b'\r';
        }
    }
}

/// CRLF -> LF for uploads. A CR not followed by LF is kept.
#[derive(Debug, Default)]
pub(crate) struct FromCrlf {
    pending_cr: bool,
}

impl FromCrlf {
    pub(crate) fn convert(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len());
        for &byte in input {
            if self.pending_cr {
                self.pending_cr = false;
                if byte != b'\n' {
                    out.push(b'\r');
                }
            }
            if byte == b'\r' {
                self.pending_cr = true;
            } else {
                out.push(byte);
            }
        }
    }

    /// At end of file: a last lone CR is data.
    pub(crate) fn finish(&mut self, out: &mut Vec<u8>) {
        if std::mem::take(&mut self.pending_cr) {
            out.push(b'\r');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_crlf(chunks: &[&[u8]]) -> Vec<u8> {
        let mut c = ToCrlf::default();
        let mut out = Vec::new();
        for chunk in chunks {
            c.convert(chunk, &mut out);
        }
        out
    }

    fn from_crlf(chunks: &[&[u8]]) -> Vec<u8> {
        let mut c = FromCrlf::default();
        let mut out = Vec::new();
        for chunk in chunks {
            c.convert(chunk, &mut out);
        }
        c.finish(&mut out);
        out
    }

    #[test]
    fn downloads_get_crlf() {
        assert_eq!(to_crlf(&[b"a\nb\n"]), b"a\r\nb\r\n");
        assert_eq!(to_crlf(&[b"a\r", b"\nb\n"]), b"a\r\nb\r\n");
        assert_eq!(to_crlf(&[b"\n\n"]), b"\r\n\r\n");
    }

    #[test]
    fn uploads_lose_cr_before_lf_only() {
        assert_eq!(from_crlf(&[b"a\r\nb\r\n"]), b"a\nb\n");
        assert_eq!(from_crlf(&[b"a\r", b"\nb"]), b"a\nb");
        assert_eq!(from_crlf(&[b"a\rb\r"]), b"a\rb\r");
        assert_eq!(from_crlf(&[b"\r\r\n"]), b"\r\n");
    }
}
