//! HOST (RFC 7151) choosing among virtual hosts by the names their
//! configuration gives them.
//!
//! ```text
//! hostname   = domain / IP-literal
//! IP-literal = "[" ( IPv6address / IPv4address ) "]"
//! ```
//!
//! One address has many spellings (`[::1]`, `[0:0::1]`, `[0::0001]`), and
//! a client sends whichever its resolver or its user wrote: a host is
//! found by the address, however the configuration and the client spell
//! it, as a domain is found whatever its case or trailing dot.

#[tokio::test]
async fn ip_literals_match_however_either_side_spells_them() {
    transcript!(virtual_hosts = ["[0:0::1]", "[2001:DB8::0:1]", "[192.0.2.1]", "Ftp.Example.Test."];
        // RFC 7151 3.2: an unknown host is refused, and nothing changes.
        "HOST [::2]" => 504,
        "HOST [192.0.2.2]" => 504,
        "HOST [::1]" => 220,
        "HOST [0::0001]" => 220,
        "HOST [2001:db8::1]" => 220,
        "HOST [2001:0DB8:0:0:0:0:0:1]" => 220,
        "HOST [192.0.2.1]" => 220,
        "HOST FTP.example.test" => 220,
        "HOST ftp.example.test." => 220,
        // The chosen host's accounts log in.
        "USER a" => 331,
        "PASS s" => 230,
    );
}
