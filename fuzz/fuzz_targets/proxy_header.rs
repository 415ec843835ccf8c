//! The PROXY header reader (v1 and v2, parsed by `ppp`) over a stream that
//! hands out the input in chunks the input chooses:
//!
//! - no panic, whatever the bytes and their split;
//! - the reader takes the header and never a byte past it: on success it
//!   took exactly the v1 line up to its CRLF, or the v2 fixed part and the
//!   length it declares, so what follows stays for the session;
//! - the split does not change the answer: the whole input at once gives
//!   the same client or the same refusal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf_session::fuzzing::read_proxy_header;

fuzz_target!(|data: &[u8]| {
    // The first byte chooses the chunk size (1-16) of the split read.
    let Some((&split, input)) = data.split_first() else {
        return;
    };
    let size = usize::from(split % 16) + 1;
    let chunks: Vec<&[u8]> = input.chunks(size).collect();
    let split_read = read_proxy_header(&chunks);
    let whole_read = read_proxy_header(&[input]);
    assert_eq!(split_read.client, whole_read.client);
    assert_eq!(split_read.consumed, whole_read.consumed);
    if split_read.client.is_ok() {
        let header_len = if input.starts_with(b"PROXY ") {
            input.windows(2).position(|w| w == b"\r\n").map(|at| at + 2)
        } else {
            input
                .get(14..16)
                .map(|len| 16 + usize::from(u16::from_be_bytes([len[0], len[1]])))
        };
        assert_eq!(Some(split_read.consumed), header_len);
    }
});
