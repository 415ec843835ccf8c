//! Networks in CIDR notation for the access lists: `access.allow` and
//! `access.deny` in the file (`--allow-from`, `--deny-from`), and `allow`
//! and `deny` of a `[[user]]`.

use wharf_session::{AccessList, IpNetwork};

use super::Written;

/// `ADDRESS/PREFIX` (`10.0.0.0/8`, `2001:db8::/32`); a single address
/// needs its `/32` or `/128`, so that a forgotten prefix is an error
/// rather than a rule narrower than meant.
pub(crate) fn parse_network(text: &str) -> Result<IpNetwork, String> {
    text.parse()
        .map_err(|e: wharf_session::NetworkError| e.to_string())
}

/// The access list of `allow` and `deny` as written under `key`; an error
/// names the entry (`access.deny[2]: ...`).
pub(crate) fn access_list(
    allow: &[Written<IpNetwork>],
    deny: &[Written<IpNetwork>],
    key: &str,
) -> Result<AccessList, String> {
    let parse = |list: &[Written<IpNetwork>], name: &str| {
        list.iter()
            .enumerate()
            .map(|(i, entry)| {
                entry
                    .value(parse_network)
                    .map_err(|e| format!("{key}{name}[{i}]: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(AccessList {
        allow: parse(allow, "allow")?,
        deny: parse(deny, "deny")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(list: &[&str]) -> Vec<Written<IpNetwork>> {
        list.iter()
            .map(|t| Written::Text((*t).to_owned()))
            .collect()
    }

    #[test]
    fn lists_parse_and_errors_name_the_entry() {
        let list = access_list(
            &text(&["10.0.0.0/8"]),
            &text(&["10.1.0.0/16", "::1/128"]),
            "access.",
        )
        .unwrap();
        assert_eq!(list.allow.len(), 1);
        assert_eq!(list.deny.len(), 2);
        assert!(list.check("10.1.2.3".parse().unwrap()).is_err());
        let error = access_list(&[], &text(&["::1/128", "10.0.0.1"]), "access.").unwrap_err();
        assert!(error.starts_with("access.deny[1]: "), "{error}");
        let error = access_list(&text(&["x"]), &[], "user[0].").unwrap_err();
        assert!(error.starts_with("user[0].allow[0]: "), "{error}");
        assert!(parse_network("10.0.0.0/33").is_err());
    }
}
