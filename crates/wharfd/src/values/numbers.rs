//! Numbers written as text: port ranges (`LOW-HIGH`) and umasks (octal).

use std::ops::RangeInclusive;

/// Parses `LOW-HIGH`.
pub(crate) fn parse_port_range(text: &str) -> Result<RangeInclusive<u16>, String> {
    let (low, high) = text
        .split_once('-')
        .ok_or_else(|| "expected LOW-HIGH, e.g. 50000-50100".to_owned())?;
    let low: u16 = low
        .trim()
        .parse()
        .map_err(|_| format!("bad port {low:?}"))?;
    let high: u16 = high
        .trim()
        .parse()
        .map_err(|_| format!("bad port {high:?}"))?;
    if low == 0 || low > high {
        return Err(format!(
            "{low}-{high} is not a range of ports (1-65535, low <= high)"
        ));
    }
    Ok(low..=high)
}

/// Parses a umask: octal digits (an optional `0o` prefix), at most 0o777.
pub(crate) fn parse_umask(text: &str) -> Result<u32, String> {
    let digits = text.trim();
    let digits = digits.strip_prefix("0o").unwrap_or(digits);
    match u32::from_str_radix(digits, 8) {
        Ok(umask) if umask <= 0o777 && !digits.starts_with('+') => Ok(umask),
        Ok(_) => Err(format!("umask {text:?} is above 777")),
        Err(_) => Err(format!(
            "umask {text:?} is not octal (digits 0-7, e.g. 022 or 077)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_ranges() {
        assert_eq!(parse_port_range("50000-50100"), Ok(50000..=50100));
        assert!(parse_port_range("5-1").is_err());
        assert!(parse_port_range("0-10").is_err());
        assert!(parse_port_range("x").is_err());
    }

    #[test]
    fn umasks_are_octal_up_to_777() {
        assert_eq!(parse_umask("022"), Ok(0o022));
        assert_eq!(parse_umask("77"), Ok(0o077));
        assert_eq!(parse_umask("0o027"), Ok(0o027));
        assert_eq!(parse_umask("0"), Ok(0));
        for bad in ["", "8", "0x1f", "1000", "-1", "+7", "abc", "0777 1"] {
            assert!(parse_umask(bad).is_err(), "{bad:?}");
        }
    }
}
