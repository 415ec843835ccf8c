//! Arbitrary bytes, in two chunks, into the MODE B decoder: no panic, and no
//! more file data out than bytes in.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use wharf_proto::block::{BlockDecoder, BlockEvent};

fuzz_target!(|data: &[u8]| {
    let split = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    let mut decoder = BlockDecoder::new();
    let mut buf = BytesMut::new();
    let mut out = 0;
    'feed: for chunk in [&data[..split], &data[split..]] {
        buf.extend_from_slice(chunk);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(BlockEvent::Data(bytes))) => out += bytes.len(),
                Ok(Some(BlockEvent::EndOfFile)) => decoder.reset(),
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => break 'feed,
            }
        }
    }
    assert!(out <= data.len());
});
