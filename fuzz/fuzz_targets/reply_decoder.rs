//! Arbitrary bytes into the reply decoder: no panic, bounded buffering, and
//! every decoded reply survives an encode/decode round trip.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use wharf_proto::reply::ReplyDecoder;

fuzz_target!(|data: &[u8]| {
    let mut decoder = ReplyDecoder::new(128, 1024);
    let mut buf = BytesMut::from(data);
    for _ in 0..data.len() + 1 {
        match decoder.decode(&mut buf) {
            Ok(Some(reply)) => {
                let mut wire = BytesMut::from(&reply.to_bytes()[..]);
                let again = ReplyDecoder::default()
                    .decode(&mut wire)
                    .expect("re-decode");
                assert_eq!(again.map(|r| r.code()), Some(reply.code()));
            }
            Ok(None) => break,
            Err(_) => {}
        }
    }
    assert!(buf.len() <= 129);
});
