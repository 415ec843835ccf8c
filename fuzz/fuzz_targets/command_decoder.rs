//! Arbitrary bytes into the streaming command decoder: no panic, and every
//! decoded command encodes to a line that decodes to the same command.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use wharf_proto::{Command, CommandDecoder};

fuzz_target!(|data: &[u8]| {
    let mut decoder = CommandDecoder::new(256);
    let mut buf = BytesMut::from(data);
    loop {
        match decoder.decode(&mut buf) {
            Ok(Some(command)) => {
                let (again, _) = Command::decode(&command.to_bytes()).expect("re-decode");
                assert_eq!(again, command);
            }
            Ok(None) => break,
            Err(error) => assert!(error.reply_code().is_some()),
        }
    }
});
