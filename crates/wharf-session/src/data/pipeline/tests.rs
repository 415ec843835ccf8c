//! Properties of the stages: any split of the input gives what one push of
//! the whole input gives, for each stage and for chains; each stage also
//! agrees with a byte-at-a-time model of its rule.

use bytes::BytesMut;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use wharf_proto::block::{self, Descriptor};

use super::{BlockDecode, BlockEncode, Chain, Flow, FromCrlf, Stage, StageError, ToCrlf};

/// What a pump would see: the output, and where in the whole input the
/// stream ended (if a stage said so). Pushing stops at the end.
type Run = Result<(Vec<u8>, Option<usize>), StageError>;

fn run(mut stage: impl Stage, chunks: &[&[u8]]) -> Run {
    let mut out = BytesMut::new();
    let mut offset = 0;
    for chunk in chunks {
        match stage.push(chunk, &mut out)? {
            Flow::More => offset += chunk.len(),
            Flow::Ended { used } => {
                stage.finish(&mut out)?;
                return Ok((out.to_vec(), Some(offset + used)));
            }
        }
    }
    stage.finish(&mut out)?;
    Ok((out.to_vec(), None))
}

/// `input` cut at the given places (empty pieces included).
fn split<'a>(input: &'a [u8], cuts: &[Index]) -> Vec<&'a [u8]> {
    let mut at: Vec<usize> = cuts.iter().map(|i| i.index(input.len() + 1)).collect();
    at.sort_unstable();
    let mut pieces = Vec::new();
    let mut from = 0;
    for cut in at {
        pieces.push(&input[from..cut]);
        from = cut;
    }
    pieces.push(&input[from..]);
    pieces
}

/// Bytes rich in line ends.
fn text() -> impl Strategy<Value = Vec<u8>> {
    vec(
        prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'a'), any::<u8>()],
        0..200,
    )
}

/// The rules of RFC 959 3.1.1.1 as the server applies them, a byte at a time.
fn to_crlf_model(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut last_was_cr = false;
    for &byte in input {
        if byte == b'\n' && !last_was_cr {
            out.push(b'\r');
        }
        out.push(byte);
        last_was_cr = byte == b'\r';
    }
    out
}

fn from_crlf_model(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, &byte) in input.iter().enumerate() {
        if byte == b'\r' && input.get(i + 1) == Some(&b'\n') {
            continue;
        }
        out.push(byte);
    }
    out
}

/// A MODE B block of any kind; restart markers carry no file data.
fn blocks() -> impl Strategy<Value = Vec<(u8, Vec<u8>)>> {
    let descriptor = prop_oneof![Just(0u8), Just(16), Just(32), Just(128), Just(160)];
    vec((descriptor, text()), 0..6)
}

/// The wire form of `blocks` and the EOF block, and the file data in it.
fn block_stream(blocks: &[(u8, Vec<u8>)], eof: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut wire = BytesMut::new();
    let mut data = Vec::new();
    for (bits, bytes) in blocks {
        let Ok(descriptor) = Descriptor::new(*bits) else {
            continue;
        };
        block::encode_block(descriptor, bytes, &mut wire);
        if !descriptor.contains(Descriptor::RESTART_MARKER) {
            data.extend_from_slice(bytes);
        }
    }
    block::encode_block(Descriptor::EOF, eof, &mut wire);
    data.extend_from_slice(eof);
    (wire.to_vec(), data)
}

/// Decodes a whole MODE B stream (for stages whose block boundaries follow
/// the pushes, where only the data can be compared).
fn decoded(wire: &[u8]) -> Run {
    run(BlockDecode::default(), &[wire])
}

proptest! {
    #[test]
    fn to_crlf_any_split(input in text(), cuts in vec(any::<Index>(), 0..8)) {
        let whole = run(ToCrlf::default(), &[&input]);
        prop_assert_eq!(&whole, &Ok((to_crlf_model(&input), None)));
        prop_assert_eq!(run(ToCrlf::default(), &split(&input, &cuts)), whole);
    }

    #[test]
    fn from_crlf_any_split(input in text(), cuts in vec(any::<Index>(), 0..8)) {
        let whole = run(FromCrlf::default(), &[&input]);
        prop_assert_eq!(&whole, &Ok((from_crlf_model(&input), None)));
        prop_assert_eq!(run(FromCrlf::default(), &split(&input, &cuts)), whole);
    }

    #[test]
    fn block_decode_any_split(
        blocks in blocks(),
        eof in text(),
        after in vec(any::<u8>(), 0..8),
        cuts in vec(any::<Index>(), 0..8),
    ) {
        let (mut wire, data) = block_stream(&blocks, &eof);
        let end = wire.len();
        wire.extend_from_slice(&after);
        let whole = run(BlockDecode::default(), &[&wire]);
        prop_assert_eq!(&whole, &Ok((data, Some(end))));
        prop_assert_eq!(run(BlockDecode::default(), &split(&wire, &cuts)), whole);
    }

    #[test]
    fn block_decode_of_any_bytes_any_split(
        wire in vec(any::<u8>(), 0..64),
        cuts in vec(any::<Index>(), 0..8),
    ) {
        let whole = run(BlockDecode::default(), &[&wire]);
        prop_assert_eq!(run(BlockDecode::default(), &split(&wire, &cuts)), whole);
    }

    #[test]
    fn block_encode_any_split_carries_the_same_data(
        input in vec(any::<u8>(), 0..300),
        cuts in vec(any::<Index>(), 0..8),
    ) {
        let (framed, end) = run(BlockEncode, &split(&input, &cuts)).map_err(fail)?;
        prop_assert_eq!(end, None);
        prop_assert_eq!(decoded(&framed), Ok((input, Some(framed.len()))));
    }

    #[test]
    fn encode_then_decode_is_the_identity_at_any_split(
        input in vec(any::<u8>(), 0..300),
        cuts in vec(any::<Index>(), 0..8),
    ) {
        let chain = Chain::new(BlockEncode, BlockDecode::default());
        prop_assert_eq!(run(chain, &split(&input, &cuts)), Ok((input, None)));
    }

    #[test]
    fn to_crlf_then_block_encode_any_split(
        input in text(),
        cuts in vec(any::<Index>(), 0..8),
    ) {
        let chain = || Chain::new(ToCrlf::default(), BlockEncode);
        let (whole, _) = run(chain(), &[&input]).map_err(fail)?;
        let (pieces, _) = run(chain(), &split(&input, &cuts)).map_err(fail)?;
        let expected = to_crlf_model(&input);
        prop_assert_eq!(decoded(&pieces), Ok((expected.clone(), Some(pieces.len()))));
        prop_assert_eq!(decoded(&whole), Ok((expected, Some(whole.len()))));
    }

    #[test]
    fn block_decode_then_from_crlf_any_split(
        blocks in blocks(),
        eof in text(),
        after in vec(any::<u8>(), 0..8),
        cuts in vec(any::<Index>(), 0..8),
    ) {
        let (mut wire, data) = block_stream(&blocks, &eof);
        let end = wire.len();
        wire.extend_from_slice(&after);
        let chain = || Chain::new(BlockDecode::default(), FromCrlf::default());
        let whole = run(chain(), &[&wire]);
        prop_assert_eq!(&whole, &Ok((from_crlf_model(&data), Some(end))));
        prop_assert_eq!(run(chain(), &split(&wire, &cuts)), whole);
    }

    #[test]
    fn download_then_upload_restores_text_without_cr(
        input in vec(prop_oneof![Just(b'\n'), Just(b'a'), Just(b'b')], 0..200),
        cuts in vec(any::<Index>(), 0..8),
    ) {
        let chain = Chain::new(
            Chain::new(ToCrlf::default(), BlockEncode),
            Chain::new(BlockDecode::default(), FromCrlf::default()),
        );
        prop_assert_eq!(run(chain, &split(&input, &cuts)), Ok((input, None)));
    }
}

fn fail(error: StageError) -> TestCaseError {
    TestCaseError::fail(error.to_string())
}
