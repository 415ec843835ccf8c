//! wharf-blob's reading of the services' XML listings:
//!
//! - arbitrary bytes as an answer body: an error or a page, never a panic;
//! - the input read as a blob name (UTF-8, lossily): stored with
//!   wharf-blob's escaping, written into a `List Blobs` page the way a
//!   service serialises XML (`&amp;`, `&lt;`, ... and `&#13;` for CR, which
//!   XML would otherwise turn into LF), and read back, it is the same name,
//!   byte for byte, and the client's name comes back from the stored one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf_blob::fuzzing::{name_round_trip, read_listing};

fuzz_target!(|data: &[u8]| {
    let _ = read_listing(data);

    let name = String::from_utf8_lossy(data);
    // XML 1.0 has no way to carry these characters; the services refuse
    // such names.
    let xml_char = |c: char| !c.is_control() || matches!(c, '\t' | '\n' | '\r');
    if !name.chars().all(xml_char) {
        return;
    }
    assert_eq!(name_round_trip(&name), name.as_bytes());
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults><Blobs><Blob><Name>",
    );
    for c in name.chars() {
        match c {
            '&' => body.push_str("&amp;"),
            '<' => body.push_str("&lt;"),
            '>' => body.push_str("&gt;"),
            '\r' => body.push_str("&#13;"),
            c => body.push(c),
        }
    }
    body.push_str("</Name><Properties><Content-Length>1</Content-Length></Properties></Blob>");
    body.push_str("</Blobs><NextMarker/></EnumerationResults>");
    let listing = read_listing(body.as_bytes()).expect("a well-formed page");
    assert_eq!(listing.blobs, [name.as_ref()], "{body}");
    assert_eq!(listing.next, None);
});
