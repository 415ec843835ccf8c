//! What every shared record has in common: its name in the store, and
//! JSON both ways.

use serde::{Deserialize, Serialize};

/// The store's name for a group's record of `kind` (`bans`,
/// `sessions`): `<kind>/<group>.json`, the group's text with `:` as `-` and `/` as `_` (a group's text holds only
/// hex digits, dots, colons and one slash, so names cannot collide).
pub(crate) fn record_name(kind: &str, group: &str) -> String {
    let key: String = group
        .chars()
        .map(|c| match c {
            ':' => '-',
            '/' => '_',
            c if c.is_ascii_hexdigit() || c == '.' => c,
            _ => '_',
        })
        .collect();
    format!("{kind}/{key}.json")
}

/// Reads a record written by a server; `name` is for the error.
pub(crate) fn parse<T: for<'de> Deserialize<'de>>(bytes: &[u8], name: &str) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("{name}: {e}"))
}

/// A record as JSON.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Maps with string keys, strings and integers always serialise.
    serde_json::to_vec(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_names_are_plain_file_names() {
        assert_eq!(
            record_name("bans", "192.0.2.7/32"),
            "bans/192.0.2.7_32.json"
        );
        assert_eq!(
            record_name("sessions", "2001:db8::/64"),
            "sessions/2001-db8--_64.json"
        );
        assert_eq!(record_name("bans", "../x"), "bans/..__.json");
    }
}
