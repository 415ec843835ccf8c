//! Small helpers shared by the nom parsers. nom stays private to the crate.

use nom::Parser;

/// The error type of every parser in this crate.
pub(crate) type NomError<'a> = nom::error::Error<&'a [u8]>;

/// Runs `parser` on all of `input`; `None` if it fails or leaves bytes over.
pub(crate) fn parse_all<'a, O>(
    parser: impl Parser<&'a [u8], Output = O, Error = NomError<'a>>,
    input: &'a [u8],
) -> Option<O> {
    nom::combinator::all_consuming(parser)
        .parse(input)
        .ok()
        .map(|(_, out)| out)
}

/// Parses a decimal integer of 1 to 20 ASCII digits that fits in `u64`.
pub(crate) fn decimal_u64(input: &[u8]) -> Option<u64> {
    if input.is_empty() || input.len() > 20 || !input.iter().all(u8::is_ascii_digit) {
        return None;
    }
    input.iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// Appends the decimal form of `n`.
pub(crate) fn push_decimal(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(n.to_string().as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_bounds() {
        assert_eq!(decimal_u64(b"0"), Some(0));
        assert_eq!(decimal_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(decimal_u64(b"18446744073709551616"), None);
        assert_eq!(decimal_u64(b""), None);
        assert_eq!(decimal_u64(b"-1"), None);
        assert_eq!(decimal_u64(b"+1"), None);
        assert_eq!(decimal_u64(b" 1"), None);
    }
}
