//! Byte sizes and rates as people write them: `10MB`, `1.5 GiB`, `500k`,
//! `2MiB/s`, or a plain number of bytes.
//!
//! Decimal units (`kB`, `MB`, `GB`, `TB`) are powers of 1000, binary ones
//! (`KiB`, `MiB`, `GiB`, `TiB`) powers of 1024, and the single letters
//! `k`, `M`, `G`, `T` are binary too, as in curl's `--limit-rate`. Case does
//! not matter; `0` means unlimited wherever a limit is asked for.

use serde::Deserialize;

/// Parses a size.
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let unit = unit.trim().to_ascii_lowercase();
    let factor: u64 = match unit.as_str() {
        "" | "b" => 1,
        "kb" => 1000,
        "mb" => 1000_u64.pow(2),
        "gb" => 1000_u64.pow(3),
        "tb" => 1000_u64.pow(4),
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        _ => {
            return Err(format!(
                "{text:?}: unknown unit {unit:?} (B, kB, MB, GB, TB, KiB, MiB, GiB, TiB)"
            ));
        }
    };
    if number.is_empty() {
        return Err(format!("{text:?}: expected a number, e.g. 10MB"));
    }
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?}: {number:?} is not a number"))?;
    let bytes = (value * factor as f64).round();
    if !(0.0..1.8e19).contains(&bytes) {
        return Err(format!("{text:?}: too large"));
    }
    Ok(bytes as u64)
}

/// Parses a rate: a size per second, `/s` optional.
pub(crate) fn parse_rate(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    parse_size(trimmed.strip_suffix("/s").unwrap_or(trimmed))
}

/// A size in a TOML file: a number of bytes or a string with a unit.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub(crate) enum Size {
    Bytes(u64),
    Text(String),
}

impl Size {
    pub(crate) fn bytes(&self) -> Result<u64, String> {
        match self {
            Self::Bytes(n) => Ok(*n),
            Self::Text(text) => parse_size(text),
        }
    }

    pub(crate) fn rate(&self) -> Result<u64, String> {
        match self {
            Self::Bytes(n) => Ok(*n),
            Self::Text(text) => parse_rate(text),
        }
    }
}

/// A rate of `[rate] key` (the flag's, when the flags overlay the file),
/// else unlimited (0).
pub(crate) fn rate(size: Option<&Size>, key: &str) -> anyhow::Result<u64> {
    size.map_or(Ok(0), |size| {
        size.rate().map_err(|e| anyhow::anyhow!("rate.{key}: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_every_unit() {
        assert_eq!(parse_size("10MB"), Ok(10_000_000));
        assert_eq!(parse_size("10 MiB"), Ok(10 * 1024 * 1024));
        assert_eq!(parse_size("1.5g"), Ok(1536 * 1024 * 1024));
        assert_eq!(parse_size("500k"), Ok(512_000));
        assert_eq!(parse_size("123"), Ok(123));
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_rate("2MiB/s"), Ok(2 * 1024 * 1024));
        for bad in [
            "",
            "MB",
            "10 furlongs",
            "1e3",
            "-5",
            "99999999999TB",
            "1..2k",
        ] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
