//! A user's `home` in the users file (`values/home.rs` for the forms) and
//! the defaults a virtual host gives its users (`[[host]]`'s `home`,
//! `credentials` and `permissions`).

use anyhow::{Result, anyhow, bail};

use super::{HostEntry, UserEntry};
use crate::values::{Home, StoreLocation};

/// `text` with `{user}` replaced by `name`; a name that would leave or
/// add folders there (`/`, `.`, `..`) is refused.
pub(crate) fn expand_user(text: &str, name: &str, key: &str) -> Result<String> {
    if !text.contains("{user}") {
        return Ok(text.to_owned());
    }
    if name.contains('/') || name == "." || name == ".." {
        bail!("{key}: user name {name:?} cannot stand for {{user}} in a home");
    }
    Ok(text.replace("{user}", name))
}

impl UserEntry {
    /// The user's `home`, `{user}` replaced, with `credentials` applied
    /// to a store home that names none; `None` without a `home`. `key`
    /// names the table, such as `user[2]`.
    pub(crate) fn home_location(&self, key: &str) -> Result<Option<Home>> {
        let Some(text) = &self.home else {
            return Ok(None);
        };
        if self.root.is_some() {
            bail!("{key} ({}): give root or home, not both", self.name);
        }
        let text = expand_user(text, &self.name, &format!("{key}.home"))?;
        let mut home = Home::parse(&text).map_err(|e| anyhow!("{key}.home: {e}"))?;
        if let Home::Store(location) = &mut home {
            match (&location.credentials, &self.credentials) {
                (Some(named), Some(given)) if named != given => bail!(
                    "{key} ({}): the home names credentials {named:?}, credentials says {given:?}",
                    self.name
                ),
                (None, Some(given)) => location.credentials = Some(given.clone()),
                _ => {}
            }
        }
        Ok(Some(home))
    }

    /// This user with `host`'s defaults where the user's table says
    /// nothing: the home (when neither `root` nor `home` is given), the
    /// credentials, and the permissions (when neither `permissions` nor
    /// `writable` is given).
    pub(crate) fn with_defaults(&self, host: &HostEntry) -> Self {
        let mut user = self.clone();
        if user.root.is_none() && user.home.is_none() {
            user.home.clone_from(&host.home);
        }
        if user.credentials.is_none() {
            user.credentials.clone_from(&host.credentials);
        }
        if user.permissions.is_none() && user.writable.is_none() {
            user.permissions.clone_from(&host.permissions);
        }
        user
    }
}

impl HostEntry {
    /// Checks the host's store and defaults. `key` is `host[i]`.
    pub(super) fn check(&self, key: &str) -> Result<()> {
        if let Some(storage) = &self.storage {
            if self.root.is_some() {
                bail!("{key}: give root or storage, not both");
            }
            StoreLocation::parse(storage)
                .map_err(|e| anyhow!("{key}.storage: {e}"))?
                .ok_or_else(|| anyhow!("{key}.storage: expected azure:// or s3://"))?;
        }
        if let Some(home) = &self.home {
            Home::parse(&expand_user(home, "user", key)?)
                .map_err(|e| anyhow!("{key}.home: {e}"))?;
        }
        if let Some(names) = &self.permissions {
            super::rights::permissions(names, &format!("{key}.permissions"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::Backend;

    fn user(extra: &str) -> UserEntry {
        toml::from_str(&format!("name = \"alice\"\npassword = \"pw\"\n{extra}")).unwrap()
    }

    #[test]
    fn homes_replace_the_user_and_take_the_credentials() {
        let alice = user("home = \"azure://acct/homes/{user}\"\ncredentials = \"team\"");
        let home = alice.home_location("user[0]").unwrap().unwrap();
        assert_eq!(
            home,
            Home::Store(StoreLocation {
                backend: Backend::Azure {
                    account: "acct".into()
                },
                container: Some("homes".into()),
                prefix: "alice".into(),
                credentials: Some("team".into()),
            })
        );
        assert_eq!(user("").home_location("user[0]").unwrap(), None);
    }

    #[test]
    fn conflicting_homes_are_refused() {
        for (extra, said) in [
            ("root = \"a\"\nhome = \"b\"", "give root or home, not both"),
            (
                "home = \"s3://one@b\"\ncredentials = \"two\"",
                "names credentials \"one\", credentials says \"two\"",
            ),
            ("home = \"s3://b?x=1\"", "user[0].home: s3://<redacted>"),
        ] {
            let error = user(extra)
                .home_location("user[0]")
                .unwrap_err()
                .to_string();
            assert!(error.contains(said), "{extra}: {error}");
        }
        assert!(expand_user("s3://b/{user}", "..", "k").is_err());
        assert!(expand_user("s3://b/{user}", "a/b", "k").is_err());
        assert_eq!(expand_user("s3://b/x", "..", "k").unwrap(), "s3://b/x");
    }
}
