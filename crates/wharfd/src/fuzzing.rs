//! Entry points for the fuzz targets in `fuzz/`: the configuration file and
//! the users file read from text as wharfd reads them (TOML, then the
//! checks that name a bad key). Any text must give a configuration or an
//! error, never a panic. Not an API.

use crate::config::{Config, parse_users};

/// Parses and checks configuration text; the error as wharfd prints it.
pub fn parse_config(text: &str) -> Result<(), String> {
    Config::parse(text).map(drop).map_err(|e| format!("{e:#}"))
}

/// Parses and checks users-file text: how many users it holds, or the
/// error as wharfd prints it.
pub fn parse_users_file(text: &str) -> Result<usize, String> {
    parse_users(text)
        .map(|users| users.len())
        .map_err(|e| format!("{e:#}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hooks_reach_the_checks_behind_the_toml_parser() {
        assert_eq!(
            parse_users_file("[[user]]\nname = \"a\"\npassword = \"s\"\n"),
            Ok(1)
        );
        let both =
            parse_users_file("[[user]]\nname = \"a\"\npassword = \"s\"\npassword_hash = \"h\"\n");
        assert!(both.is_err_and(|e| e.contains("not both")));
        assert!(parse_users_file("[[user]\n").is_err());
        let ports = parse_config("[passive]\nports = \"9-1\"\n");
        assert!(
            ports.as_ref().is_err_and(|e| e.contains("passive.ports")),
            "{ports:?}"
        );
        assert!(parse_config("= =").is_err());
    }
}
