//! Arbitrary bytes into the PORT/PASV and EPRT/EPSV parsers: no panic, and
//! whatever parses formats back to the same address.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf_proto::extended::{format_eprt, parse_eprt, parse_epsv_reply};
use wharf_proto::host_port::{format_host_port, parse_host_port, parse_pasv_reply};

fuzz_target!(|data: &[u8]| {
    if let Ok(addr) = parse_host_port(data) {
        assert_eq!(parse_host_port(format_host_port(addr).as_bytes()), Ok(addr));
    }
    if let Ok(addr) = parse_eprt(data) {
        assert_eq!(parse_eprt(format_eprt(addr).as_bytes()), Ok(addr));
    }
    let _ = parse_pasv_reply(data);
    let _ = parse_epsv_reply(data);
});
