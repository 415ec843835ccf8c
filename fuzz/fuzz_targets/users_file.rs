//! wharfd's users file from arbitrary text (the TOML parser, then the
//! per-user checks): users or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = wharfd::fuzzing::parse_users_file(&String::from_utf8_lossy(data));
});
