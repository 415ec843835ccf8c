//! Feeds arbitrary bytes, split at an arbitrary point, to the line framer:
//! it must never panic, never return a line over the limit or holding a line
//! break, and never hold more than the limit (plus the CR slack) buffered.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use wharf_proto::framer::LineFramer;

const LIMIT: usize = 64;

fuzz_target!(|data: &[u8]| {
    let split = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    let mut framer = LineFramer::new(LIMIT);
    let mut buf = BytesMut::new();
    for chunk in [&data[..split], &data[split..]] {
        buf.extend_from_slice(chunk);
        loop {
            match framer.next_line(&mut buf) {
                Ok(Some(line)) => {
                    assert!(line.len() <= LIMIT);
                    assert!(!line.contains(&b'\n'));
                }
                Ok(None) => break,
                Err(_) => {}
            }
        }
        assert!(buf.len() <= LIMIT + 1);
    }
});
