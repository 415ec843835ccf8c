//! What `HELP` says: every verb this codec decodes, and each one's syntax
//! (RFC 959 4.1.3: `HELP <SP> <string>` gives help on that command).

/// Every verb [`super::Command::parse`] decodes, with its argument syntax in
/// RFC 959's notation, alphabetically.
pub const SYNTAX: &[(&str, &str)] = &[
    ("ABOR", "ABOR (abort the transfer in progress)"),
    ("ACCT", "ACCT <SP> <account-information>"),
    (
        "ALLO",
        "ALLO <SP> <decimal-integer> [<SP> R <SP> <decimal-integer>]",
    ),
    ("APPE", "APPE <SP> <pathname>"),
    ("AUTH", "AUTH <SP> TLS"),
    ("CCC", "CCC (clear the control connection)"),
    ("CDUP", "CDUP (up one directory)"),
    ("CWD", "CWD <SP> <pathname>"),
    ("DELE", "DELE <SP> <pathname>"),
    ("EPRT", "EPRT <SP> |<net-prt>|<net-addr>|<tcp-port>|"),
    ("EPSV", "EPSV [<SP> <net-prt> | <SP> ALL]"),
    ("FEAT", "FEAT (list the extensions in use)"),
    (
        "HASH",
        "HASH <SP> <pathname> (algorithm chosen by OPTS HASH)",
    ),
    ("HELP", "HELP [<SP> <command>]"),
    ("HOST", "HOST <SP> <domain-name> | <SP> [<ip-address>]"),
    ("LANG", "LANG [<SP> <language-tag>]"),
    ("LIST", "LIST [<SP> [-a] [-l] [-R] [-d]] [<SP> <pathname>]"),
    ("MDTM", "MDTM <SP> <pathname>"),
    ("MFMT", "MFMT <SP> YYYYMMDDHHMMSS <SP> <pathname>"),
    ("MKD", "MKD <SP> <pathname>"),
    ("MLSD", "MLSD [<SP> <pathname>]"),
    ("MLST", "MLST [<SP> <pathname>]"),
    ("MODE", "MODE <SP> S | B"),
    ("NLST", "NLST [<SP> <pathname>]"),
    ("NOOP", "NOOP"),
    ("OPTS", "OPTS <SP> <command> [<SP> <options>]"),
    ("PASS", "PASS <SP> <password>"),
    ("PASV", "PASV (IPv4 passive mode)"),
    ("PBSZ", "PBSZ <SP> 0"),
    ("PORT", "PORT <SP> h1,h2,h3,h4,p1,p2"),
    ("PROT", "PROT <SP> C | P"),
    ("PWD", "PWD (print the working directory)"),
    ("QUIT", "QUIT (close the session)"),
    (
        "RANG",
        "RANG <SP> <start-byte> <SP> <end-byte> (for HASH; RANG 1 0 resets)",
    ),
    ("REIN", "REIN (log out, keep the connection)"),
    ("REST", "REST <SP> <byte-offset>"),
    ("RETR", "RETR <SP> <pathname>"),
    ("RMD", "RMD <SP> <pathname>"),
    ("RNFR", "RNFR <SP> <pathname>"),
    ("RNTO", "RNTO <SP> <pathname>"),
    ("SITE", "SITE <SP> <string> (SITE HELP lists them)"),
    ("SIZE", "SIZE <SP> <pathname>"),
    ("SMNT", "SMNT <SP> <pathname> (not implemented)"),
    ("STAT", "STAT [<SP> <pathname>]"),
    ("STOR", "STOR <SP> <pathname>"),
    ("STOU", "STOU [<SP> <pathname>]"),
    ("STRU", "STRU <SP> F"),
    ("SYST", "SYST (name the system type)"),
    ("TYPE", "TYPE <SP> A | I | L 8"),
    ("USER", "USER <SP> <username>"),
    ("XCRC", "XCRC <SP> <pathname> [<SP> <start> [<SP> <end>]]"),
    ("XCUP", "XCUP (as CDUP)"),
    ("XCWD", "XCWD <SP> <pathname> (as CWD)"),
    ("XMD5", "XMD5 <SP> <pathname> [<SP> <start> [<SP> <end>]]"),
    ("XMKD", "XMKD <SP> <pathname> (as MKD)"),
    ("XPWD", "XPWD (as PWD)"),
    ("XRMD", "XRMD <SP> <pathname> (as RMD)"),
    ("XSHA1", "XSHA1 <SP> <pathname> [<SP> <start> [<SP> <end>]]"),
    (
        "XSHA256",
        "XSHA256 <SP> <pathname> [<SP> <start> [<SP> <end>]]",
    ),
    (
        "XSHA512",
        "XSHA512 <SP> <pathname> [<SP> <start> [<SP> <end>]]",
    ),
];

/// The syntax of `verb` (any case), if this codec decodes it.
pub fn syntax(verb: &str) -> Option<&'static str> {
    SYNTAX
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(verb))
        .map(|(_, syntax)| *syntax)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Command, DecodeError};

    #[test]
    fn every_listed_verb_is_decoded_and_sorted() {
        for window in SYNTAX.windows(2) {
            assert!(
                window[0].0 < window[1].0,
                "{} before {}",
                window[0].0,
                window[1].0
            );
        }
        for (verb, text) in SYNTAX {
            assert!(text.starts_with(verb), "{verb}: {text}");
            // Known verbs fail on their argument at worst, never as unknown.
            let known = !matches!(
                Command::parse(verb.as_bytes()),
                Err(DecodeError::UnknownVerb { .. } | DecodeError::NotImplemented { .. })
            );
            assert!(known, "{verb} is listed but not decoded");
        }
        assert!(syntax("xsha256").is_some_and(|s| s.starts_with("XSHA256 <SP>")));
        assert_eq!(syntax("LPRT"), None);
    }
}
