//! TYPE A on the wire: lines end in CRLF (RFC 959 3.1.1.1). Files are
//! stored with the server's LF line ends. Both stages keep state across
//! pushes, since a CR and its LF may arrive in different reads.
//!
//! Both copy runs of plain bytes whole and look only at the line-end
//! bytes, rather than pushing byte by byte.

use bytes::{BufMut, BytesMut};

use super::{Flow, Stage, StageError};

/// LF -> CRLF for downloads. An LF already preceded by CR is left alone, so
/// files that already have CRLF line ends are not doubled.
#[derive(Debug, Default)]
pub(crate) struct ToCrlf {
    last_was_cr: bool,
}

impl Stage for ToCrlf {
    fn push(&mut self, input: &[u8], out: &mut BytesMut) -> Result<Flow, StageError> {
        out.reserve(input.len() + input.len() / 16);
        let mut rest = input;
        while let Some(lf) = rest.iter().position(|&b| b == b'\n') {
            let after_cr = match lf.checked_sub(1) {
                Some(before) => rest[before] == b'\r',
                None => self.last_was_cr,
            };
            out.extend_from_slice(&rest[..lf]);
            out.extend_from_slice(if after_cr { b"\n" } else { b"\r\n" });
            self.last_was_cr = false;
            rest = &rest[lf + 1..];
        }
        if let Some(&last) = rest.last() {
            self.last_was_cr = last == b'\r';
        }
        out.extend_from_slice(rest);
        Ok(Flow::More)
    }

    fn finish(&mut self, _out: &mut BytesMut) -> Result<(), StageError> {
        Ok(())
    }
}

/// CRLF -> LF for uploads. A CR not followed by LF is kept; a CR at the
/// end of one push waits for the next byte to say which it is.
#[derive(Debug, Default)]
pub(crate) struct FromCrlf {
    pending_cr: bool,
}

impl Stage for FromCrlf {
    fn push(&mut self, input: &[u8], out: &mut BytesMut) -> Result<Flow, StageError> {
        out.reserve(input.len() + 1);
        if self.pending_cr {
            let Some(&first) = input.first() else {
                return Ok(Flow::More);
            };
            self.pending_cr = false;
            if first != b'\n' {
                out.put_u8(b'\r');
            }
        }
        let mut rest = input;
        while let Some(cr) = rest.iter().position(|&b| b == b'\r') {
            out.extend_from_slice(&rest[..cr]);
            match rest.get(cr + 1) {
                None => self.pending_cr = true,
                Some(b'\n') => {}
                Some(_) => out.put_u8(b'\r'),
            }
            rest = &rest[cr + 1..];
        }
        out.extend_from_slice(rest);
        Ok(Flow::More)
    }

    /// At end of file: a last lone CR is data.
    fn finish(&mut self, out: &mut BytesMut) -> Result<(), StageError> {
        if std::mem::take(&mut self.pending_cr) {
            out.put_u8(b'\r');
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(mut stage: impl Stage, chunks: &[&[u8]]) -> Vec<u8> {
        let mut out = BytesMut::new();
        for chunk in chunks {
            assert_eq!(stage.push(chunk, &mut out), Ok(Flow::More));
        }
        stage.finish(&mut out).unwrap();
        out.to_vec()
    }

    #[test]
    fn downloads_get_crlf() {
        let to = |chunks: &[&[u8]]| run(ToCrlf::default(), chunks);
        assert_eq!(to(&[b"a\nb\n"]), b"a\r\nb\r\n");
        assert_eq!(to(&[b"\n\n"]), b"\r\n\r\n");
        assert_eq!(to(&[b"a\r\nb"]), b"a\r\nb");
        assert_eq!(to(&[b"\r\r\n\n"]), b"\r\r\n\r\n");
    }

    #[test]
    fn a_cr_at_a_chunk_end_is_remembered_on_download() {
        let to = |chunks: &[&[u8]]| run(ToCrlf::default(), chunks);
        assert_eq!(to(&[b"a\r", b"\nb\n"]), b"a\r\nb\r\n");
        assert_eq!(to(&[b"a\r", b"", b"\n"]), b"a\r\n");
        assert_eq!(to(&[b"a\r", b"b", b"\n"]), b"a\rb\r\n");
    }

    #[test]
    fn uploads_lose_cr_before_lf_only() {
        let from = |chunks: &[&[u8]]| run(FromCrlf::default(), chunks);
        assert_eq!(from(&[b"a\r\nb\r\n"]), b"a\nb\n");
        assert_eq!(from(&[b"a\rb\r\r\n"]), b"a\rb\r\n");
        assert_eq!(from(&[b"\r\r\n"]), b"\r\n");
    }

    #[test]
    fn a_cr_at_a_chunk_end_waits_for_the_next_byte_on_upload() {
        let from = |chunks: &[&[u8]]| run(FromCrlf::default(), chunks);
        assert_eq!(from(&[b"a\r", b"\nb"]), b"a\nb");
        assert_eq!(from(&[b"a\r", b"", b"\nb"]), b"a\nb");
        assert_eq!(from(&[b"a\r", b"\r", b"\n"]), b"a\r\n");
        assert_eq!(from(&[b"a\r", b"b"]), b"a\rb");
    }

    #[test]
    fn a_lone_cr_at_the_end_of_an_upload_is_data() {
        let mut stage = FromCrlf::default();
        let mut out = BytesMut::new();
        stage.push(b"a\r", &mut out).unwrap();
        assert_eq!(&out[..], b"a", "held back until the next byte");
        stage.finish(&mut out).unwrap();
        assert_eq!(&out[..], b"a\r");
        assert_eq!(run(FromCrlf::default(), &[b"\r"]), b"\r");
    }
}
