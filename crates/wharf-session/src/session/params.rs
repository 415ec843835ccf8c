//! TYPE and MODE as the session keeps them (RFC 959 3.1, 3.4): only the
//! values the engine serves can be held, and handlers ask for a change
//! instead of setting flags.

use wharf_proto::ReplyCode;
use wharf_proto::transfer_params::{FormatControl, TransferMode, TransferType};

use super::security::Refusal;

/// How file bytes are represented (TYPE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Representation {
    /// TYPE A (non-print): lines end in CRLF on the wire.
    Ascii,
    /// TYPE I or L 8: bytes as they are (the default here, as every
    /// client of today expects, though RFC 959 names ASCII).
    #[default]
    Binary,
}

/// How bytes are framed on the data connection (MODE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Framing {
    /// MODE S: the end of file is the connection's close.
    #[default]
    Stream,
    /// MODE B: blocks, an EOF block, the connection kept.
    Block,
}

/// TYPE and MODE together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct TransferParams {
    representation: Representation,
    framing: Framing,
}

impl TransferParams {
    /// TYPE: A (non-print), I and L 8 are served.
    pub(crate) fn set_type(&mut self, kind: TransferType) -> Result<Representation, Refusal> {
        self.representation = match kind {
            TransferType::Ascii(FormatControl::NonPrint) => Representation::Ascii,
            t if t.is_binary() => Representation::Binary,
            _ => {
                return Err(Refusal::new(
                    ReplyCode::NOT_IMPLEMENTED_FOR_PARAMETER,
                    "Only TYPE A, A N, I and L 8 are supported.",
                ));
            }
        };
        Ok(self.representation)
    }

    /// MODE: S and B are served.
    pub(crate) fn set_mode(&mut self, mode: TransferMode) -> Result<Framing, Refusal> {
        self.framing = match mode {
            TransferMode::Stream => Framing::Stream,
            TransferMode::Block => Framing::Block,
            TransferMode::Compressed => {
                return Err(Refusal::new(
                    ReplyCode::NOT_IMPLEMENTED_FOR_PARAMETER,
                    "Only MODE S and MODE B are supported.",
                ));
            }
        };
        Ok(self.framing)
    }

    /// Whether TYPE A converts line ends.
    pub(crate) fn ascii(self) -> bool {
        self.representation == Representation::Ascii
    }

    /// Whether MODE B frames the data.
    pub(crate) fn block(self) -> bool {
        self.framing == Framing::Block
    }

    /// `ASCII` or `BINARY`, for replies.
    pub(crate) fn type_name(self) -> &'static str {
        match self.representation {
            Representation::Ascii => "ASCII",
            Representation::Binary => "BINARY",
        }
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU8;

    use wharf_proto::transfer_params::FormatControl;

    use super::*;

    #[test]
    fn types_the_engine_serves_and_no_others() {
        let mut params = TransferParams::default();
        assert!(!params.ascii());
        params
            .set_type(TransferType::Ascii(FormatControl::NonPrint))
            .unwrap();
        assert!(params.ascii());
        assert_eq!(params.type_name(), "ASCII");
        for refused in [
            TransferType::Ascii(FormatControl::Telnet),
            TransferType::Ebcdic(FormatControl::NonPrint),
        ] {
            assert!(params.set_type(refused).is_err());
            assert!(params.ascii(), "a refused TYPE changes nothing");
        }
        let l8 = TransferType::Local(NonZeroU8::new(8).unwrap());
        assert_eq!(params.set_type(l8), Ok(Representation::Binary));
        assert_eq!(params.type_name(), "BINARY");
    }

    #[test]
    fn modes_s_and_b() {
        let mut params = TransferParams::default();
        assert_eq!(params.set_mode(TransferMode::Block), Ok(Framing::Block));
        assert!(params.block());
        assert!(params.set_mode(TransferMode::Compressed).is_err());
        assert!(params.block(), "a refused MODE changes nothing");
        params.set_mode(TransferMode::Stream).unwrap();
        assert!(!params.block());
    }
}
