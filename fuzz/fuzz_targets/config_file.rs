//! wharfd's configuration file from arbitrary text (the TOML parser, then
//! the checks that name a bad key): a configuration or an error, never a
//! panic. The input is read as UTF-8, lossily, as a file would be refused
//! before parsing otherwise.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = wharfd::fuzzing::parse_config(&String::from_utf8_lossy(data));
});
