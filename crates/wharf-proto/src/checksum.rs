//! Checksum commands: `HASH` (draft-bryan-ftpext-hash-02), the `RANG`
//! range it hashes (draft-bryan-ftp-range), and the de-facto `XCRC`,
//! `XMD5`, `XSHA1`, `XSHA256` and `XSHA512`.
//!
//! ```text
//! hash-command  = "HASH" SP pathname
//! hash-ok       = "213" SP hashname SP start-point "-" end-point SP
//!                 filehash SP <pathname> CRLF
//! hashname      = 1*hchar
//! hchar         = ALPHA / DIGIT / "-" / "_" / "/" / "." / ","
//! hashopts-cmd  = "OPTS HASH" [ SP hashname ] CRLF
//!
//! range-command = "RANG" SP start-point SP end-point     ; "RANG 1 0" resets
//!
//! x-command     = ( "XCRC" / "XMD5" / "XSHA1" / "XSHA256" / "XSHA512" )
//!                 SP x-path [ SP start [ SP end ] ]
//! x-path        = DQUOTE 1*<any byte but DQUOTE> DQUOTE / pathname
//! ```
//!
//! HASH and RANG ranges are inclusive (`0-99` is the first hundred bytes);
//! the X commands take a start offset and an end offset one past the last
//! byte, as ProFTPD's mod_digest and GlobalSCAPE read them.

use crate::parse_util::decimal_u64;
use crate::text::Pathname;

/// A hash function a checksum command can use, by its IANA "Hash Function
/// Textual Names" name (CRC32 has none there; servers spell it `CRC32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HashAlgorithm {
    /// SHA-256 (FIPS 180-4).
    Sha256,
    /// SHA-512 (FIPS 180-4).
    Sha512,
    /// SHA-1, the one the HASH draft makes mandatory.
    Sha1,
    /// MD5 (RFC 1321).
    Md5,
    /// CRC-32 (ISO-HDLC, as zip and Ethernet use it).
    Crc32,
}

impl HashAlgorithm {
    /// Every algorithm, in the order FEAT lists them.
    pub const ALL: [HashAlgorithm; 5] = [
        HashAlgorithm::Sha256,
        HashAlgorithm::Sha512,
        HashAlgorithm::Sha1,
        HashAlgorithm::Md5,
        HashAlgorithm::Crc32,
    ];

    /// The name FEAT, OPTS HASH and the 213 reply use.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Sha512 => "SHA-512",
            Self::Sha1 => "SHA-1",
            Self::Md5 => "MD5",
            Self::Crc32 => "CRC32",
        }
    }

    /// Looks a name up, ignoring case (the draft's names compare
    /// case-insensitively); `SHA256`, `SHA1`, `SHA512` and `CRC-32` are
    /// accepted as clients also send them.
    pub fn from_name(name: &[u8]) -> Option<Self> {
        let upper = name.to_ascii_uppercase();
        Some(match upper.as_slice() {
            b"SHA-256" | b"SHA256" => Self::Sha256,
            b"SHA-512" | b"SHA512" => Self::Sha512,
            b"SHA-1" | b"SHA1" => Self::Sha1,
            b"MD5" => Self::Md5,
            b"CRC32" | b"CRC-32" => Self::Crc32,
            _ => return None,
        })
    }

    /// The X command that uses this algorithm.
    pub const fn x_verb(self) -> &'static str {
        match self {
            Self::Sha256 => "XSHA256",
            Self::Sha512 => "XSHA512",
            Self::Sha1 => "XSHA1",
            Self::Md5 => "XMD5",
            Self::Crc32 => "XCRC",
        }
    }

    /// The algorithm of X command `verb` (upper case).
    pub(crate) fn from_x_verb(verb: &[u8]) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.x_verb().as_bytes() == verb)
    }
}

/// The argument of `RANG`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RangArg {
    /// `RANG 1 0`: back to whole files.
    Reset,
    /// Bytes `first` to `last`, both included.
    Bytes {
        /// The first byte.
        first: u64,
        /// The last byte, at least `first`.
        last: u64,
    },
}

impl RangArg {
    /// `<start-point> SP <end-point>`; `None` when malformed or when the
    /// end is before the start (other than the `1 0` reset).
    pub(crate) fn parse(arg: &[u8]) -> Option<Self> {
        let mut words = arg.split(|&b| b == b' ');
        let (first, last) = match (words.next(), words.next(), words.next()) {
            (Some(a), Some(b), None) => (decimal_u64(a)?, decimal_u64(b)?),
            _ => return None,
        };
        match (first, last) {
            (1, 0) => Some(Self::Reset),
            (first, last) if first <= last => Some(Self::Bytes { first, last }),
            _ => None,
        }
    }

    pub(crate) fn encode(self, out: &mut Vec<u8>) {
        let (first, last) = match self {
            Self::Reset => (1, 0),
            Self::Bytes { first, last } => (first, last),
        };
        out.extend_from_slice(format!(" {first} {last}").as_bytes());
    }
}

/// The argument of an X checksum command, as sent.
///
/// An unquoted argument that ends in one or two numbers is ambiguous (a file
/// may be called `track 1`): [`ChecksumArgs::readings`] gives the literal
/// reading first and the ranged one after it, and the server takes the
/// first that names a file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChecksumArgs {
    /// The hash function, from the verb.
    pub algorithm: HashAlgorithm,
    raw: Pathname,
}

/// One reading of [`ChecksumArgs`]: a file and the bytes to hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecksumTarget {
    /// The file.
    pub path: Pathname,
    /// The first byte to hash.
    pub start: u64,
    /// One past the last byte to hash; `None` for the end of the file.
    pub end: Option<u64>,
}

impl ChecksumArgs {
    /// The X command of `algorithm` with argument `raw`, as sent.
    pub fn new(algorithm: HashAlgorithm, raw: Pathname) -> Self {
        Self { algorithm, raw }
    }

    /// The argument as sent.
    pub fn raw(&self) -> &Pathname {
        &self.raw
    }

    /// The readings of the argument, the literal one first. Empty when a
    /// quoted path is not closed or the range is malformed.
    pub fn readings(&self) -> Vec<ChecksumTarget> {
        let raw = self.raw.as_bytes();
        let whole = |path: &[u8]| Pathname::new(path.to_vec()).ok();
        if let Some(quoted) = raw.strip_prefix(b"\"") {
            let Some(close) = quoted.iter().position(|&b| b == b'"') else {
                return Vec::new();
            };
            let rest = &quoted[close + 1..];
            let range = match rest.strip_prefix(b" ") {
                None if rest.is_empty() => Some((0, None)),
                Some(numbers) => numeric_range(numbers),
                None => None,
            };
            return match (whole(&quoted[..close]), range) {
                (Some(path), Some((start, end))) => vec![ChecksumTarget { path, start, end }],
                _ => Vec::new(),
            };
        }
        let mut readings = vec![ChecksumTarget {
            path: self.raw.clone(),
            start: 0,
            end: None,
        }];
        // `path start end`, then `path start`.
        for cut in trailing_number_cuts(raw) {
            let (path, numbers) = raw.split_at(cut);
            if let (Some(path), Some((start, end))) = (whole(path), numeric_range(&numbers[1..])) {
                readings.push(ChecksumTarget { path, start, end });
            }
        }
        readings
    }
}

/// `start [SP end]` with `end` after `start`.
fn numeric_range(numbers: &[u8]) -> Option<(u64, Option<u64>)> {
    let mut words = numbers.split(|&b| b == b' ');
    let start = decimal_u64(words.next()?)?;
    match (words.next(), words.next()) {
        (None, _) => Some((start, None)),
        (Some(end), None) => decimal_u64(end)
            .filter(|&end| end >= start)
            .map(|end| (start, Some(end))),
        _ => None,
    }
}

/// Where the path would end if the argument's last two, then last one,
/// space-separated words were a range of numbers.
fn trailing_number_cuts(raw: &[u8]) -> Vec<usize> {
    let spaces: Vec<usize> = raw
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, b)| **b == b' ')
        .map(|(i, _)| i)
        .take(2)
        .collect();
    let numeric = |from: usize| {
        raw[from + 1..]
            .split(|&b| b == b' ')
            .all(|w| !w.is_empty() && w.iter().all(u8::is_ascii_digit))
    };
    let mut cuts = Vec::new();
    for &space in spaces.iter().rev() {
        if space > 0 && numeric(space) {
            cuts.push(space);
        }
    }
    cuts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(verb: &str, raw: &str) -> ChecksumArgs {
        let algorithm = HashAlgorithm::from_x_verb(verb.as_bytes()).unwrap();
        ChecksumArgs::new(algorithm, Pathname::new(raw.as_bytes().to_vec()).unwrap())
    }

    fn target(path: &str, start: u64, end: Option<u64>) -> ChecksumTarget {
        ChecksumTarget {
            path: Pathname::new(path.as_bytes().to_vec()).unwrap(),
            start,
            end,
        }
    }

    #[test]
    fn names_round_trip_and_ignore_case() {
        for algorithm in HashAlgorithm::ALL {
            assert_eq!(
                HashAlgorithm::from_name(algorithm.name().as_bytes()),
                Some(algorithm)
            );
            assert_eq!(
                HashAlgorithm::from_x_verb(algorithm.x_verb().as_bytes()),
                Some(algorithm)
            );
        }
        assert_eq!(
            HashAlgorithm::from_name(b"sha-1"),
            Some(HashAlgorithm::Sha1)
        );
        assert_eq!(HashAlgorithm::from_name(b"CRC-37"), None);
    }

    #[test]
    fn rang_reads_ranges_and_the_reset() {
        assert_eq!(RangArg::parse(b"1 0"), Some(RangArg::Reset));
        assert_eq!(
            RangArg::parse(b"0 49"),
            Some(RangArg::Bytes { first: 0, last: 49 })
        );
        assert_eq!(
            RangArg::parse(b"5 5"),
            Some(RangArg::Bytes { first: 5, last: 5 })
        );
        for bad in [&b"9 3"[..], b"1", b"1 2 3", b"a b", b"-1 4", b""] {
            assert_eq!(
                RangArg::parse(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn quoted_paths_carry_ranges() {
        assert_eq!(
            args("XCRC", "\"my file 1\" 10 20").readings(),
            vec![target("my file 1", 10, Some(20))]
        );
        assert_eq!(
            args("XMD5", "\"a b\"").readings(),
            vec![target("a b", 0, None)]
        );
        assert_eq!(args("XMD5", "\"a b\" 9 3").readings(), vec![]);
        assert_eq!(args("XMD5", "\"unclosed").readings(), vec![]);
        assert_eq!(args("XMD5", "\"a\"x").readings(), vec![]);
    }

    #[test]
    fn unquoted_numbers_are_read_both_ways_literal_first() {
        assert_eq!(
            args("XSHA1", "track 1 2").readings(),
            vec![
                target("track 1 2", 0, None),
                target("track", 1, Some(2)),
                target("track 1", 2, None),
            ]
        );
        assert_eq!(
            args("XSHA256", "plain.txt").readings(),
            vec![target("plain.txt", 0, None)]
        );
        // A path made of numbers only has no path left to range.
        assert_eq!(
            args("XCRC", "2024").readings(),
            vec![target("2024", 0, None)]
        );
    }
}
