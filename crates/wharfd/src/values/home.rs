//! Where a user's tree lives: the users file's `home` and a mount's
//! `store`, and a virtual host's `storage`.
//!
//! ```text
//! home = azure://[CREDENTIALS@]ACCOUNT[/CONTAINER[/PREFIX...]]
//!        s3://[CREDENTIALS@]BUCKET[/PREFIX...]
//!        gcs://[CREDENTIALS@]BUCKET[/PREFIX...]   (gs:// alike)
//!        file:///DIR | DIR           a local directory
//! ```
//!
//! `CREDENTIALS` names a `[credentials.NAME]` table of the config file; it
//! is a name, never a secret. A URL that carries one (a `user:key@`
//! pair, or a query such as a SAS token's `?sv=...&sig=...`) is refused:
//! users files are read by more people than key files, and get copied
//! and committed.

use std::path::PathBuf;

use anyhow::{Result, bail};

/// Which object store a [`StoreLocation`] is in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Backend {
    /// An Azure storage account.
    Azure { account: String },
    /// S3 (the endpoint of `[s3]` or of the credentials).
    S3,
    /// Google Cloud Storage (the endpoint of `[gcs]` or of the
    /// credentials).
    Gcs,
}

/// A place in an object store: a whole account (no container), one
/// container or bucket, or a folder of one (`prefix`, without leading or
/// trailing `/`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct StoreLocation {
    pub(crate) backend: Backend,
    pub(crate) container: Option<String>,
    pub(crate) prefix: String,
    /// The `[credentials.NAME]` the URL names (`NAME@`).
    pub(crate) credentials: Option<String>,
}

impl StoreLocation {
    /// Parses `azure://...`, `s3://...` or `gcs://...` (`gs://...`, as
    /// gsutil writes it); `None` for anything else.
    pub(crate) fn parse(text: &str) -> Result<Option<Self>> {
        let (backend, rest) = if let Some(rest) = text.strip_prefix("azure://") {
            ("azure", rest)
        } else if let Some(rest) = text.strip_prefix("s3://") {
            ("s3", rest)
        } else if let Some(rest) = text.strip_prefix("gcs://") {
            ("gcs", rest)
        } else if let Some(rest) = text.strip_prefix("gs://") {
            ("gcs", rest)
        } else {
            return Ok(None);
        };
        if rest.contains(['?', '#']) {
            bail!(
                "{}: a store URL carries no secret or query (a SAS token belongs in a file named \
                 by [credentials.NAME] in the config file; name it with credentials = \"NAME\")",
                redacted(text)
            );
        }
        let (credentials, rest) = match rest.split_once('@') {
            Some((name, _)) if name.contains(':') => bail!(
                "{}: a store URL carries no key (put it in a file named by [credentials.NAME] in \
                 the config file, and write NAME@ or credentials = \"NAME\")",
                redacted(text)
            ),
            Some(("", _)) => bail!("{text}: empty credentials name before @"),
            Some((name, rest)) => (Some(name.to_owned()), rest),
            None => (None, rest),
        };
        let mut parts = rest.split('/');
        let first = parts.next().unwrap_or_default().to_owned();
        let mut parts = parts.filter(|p| !p.is_empty());
        let second = parts.next().map(str::to_owned);
        let prefix = parts.collect::<Vec<_>>().join("/");
        let (backend, container, prefix) = match backend {
            "azure" => {
                if first.is_empty() {
                    bail!("{text}: name the account, azure://ACCOUNT[/CONTAINER[/PREFIX]]");
                }
                (Backend::Azure { account: first }, second, prefix)
            }
            bucket_store => {
                let (backend, scheme) = match bucket_store {
                    "s3" => (Backend::S3, "s3"),
                    _ => (Backend::Gcs, "gcs"),
                };
                if first.is_empty() {
                    bail!("{text}: name the bucket, {scheme}://BUCKET[/PREFIX]");
                }
                let prefix = match second {
                    Some(second) if prefix.is_empty() => second,
                    Some(second) => format!("{second}/{prefix}"),
                    None => String::new(),
                };
                (backend, Some(first), prefix)
            }
        };
        Ok(Some(Self {
            backend,
            container,
            prefix,
            credentials,
        }))
    }

    /// The URL form, without the credentials name.
    pub(crate) fn url(&self) -> String {
        let mut url = match &self.backend {
            Backend::Azure { account } => format!("azure://{account}"),
            Backend::S3 => "s3:/".to_owned(),
            Backend::Gcs => "gcs:/".to_owned(),
        };
        for part in self.container.iter().chain(Some(&self.prefix)) {
            if !part.is_empty() {
                url.push('/');
                url.push_str(part);
            }
        }
        url
    }
}

/// `text` with anything after `://` that may be secret cut off, for an
/// error message.
fn redacted(text: &str) -> String {
    let (scheme, _) = text.split_once("://").unwrap_or((text, ""));
    format!("{scheme}://<redacted>")
}

/// A user's home: a local directory or a place in an object store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Home {
    /// Absolute, or relative to the server or host root.
    Dir(PathBuf),
    Store(StoreLocation),
}

impl Home {
    /// Parses a `home` value, `{user}` already replaced.
    pub(crate) fn parse(text: &str) -> Result<Self> {
        if let Some(location) = StoreLocation::parse(text)? {
            return Ok(Self::Store(location));
        }
        if let Some(dir) = text.strip_prefix("file://") {
            return Ok(Self::Dir(PathBuf::from(dir)));
        }
        if text.contains("://") {
            bail!(
                "{}: expected azure://, s3://, gcs:// or a local directory",
                redacted(text)
            );
        }
        if text.is_empty() {
            bail!("empty home");
        }
        Ok(Self::Dir(PathBuf::from(text)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(text: &str) -> StoreLocation {
        match Home::parse(text).unwrap() {
            Home::Store(location) => location,
            Home::Dir(dir) => panic!("{text} read as the directory {}", dir.display()),
        }
    }

    #[test]
    fn store_homes() {
        let azure = store("azure://team@acct/homes/users/alice/");
        assert_eq!(
            azure,
            StoreLocation {
                backend: Backend::Azure {
                    account: "acct".into()
                },
                container: Some("homes".into()),
                prefix: "users/alice".into(),
                credentials: Some("team".into()),
            }
        );
        assert_eq!(azure.url(), "azure://acct/homes/users/alice");
        let s3 = store("s3://bucket/alice");
        assert_eq!(
            (s3.container.as_deref(), s3.prefix.as_str()),
            (Some("bucket"), "alice")
        );
        assert_eq!(s3.url(), "s3://bucket/alice");
        assert_eq!(store("s3://bucket").prefix, "");
        assert_eq!(store("azure://acct").container, None);
        let gcs = store("gcs://sa@shared/users//bob/");
        assert_eq!(
            gcs,
            StoreLocation {
                backend: Backend::Gcs,
                container: Some("shared".into()),
                prefix: "users/bob".into(),
                credentials: Some("sa".into()),
            }
        );
        assert_eq!(gcs.url(), "gcs://shared/users/bob");
        assert_eq!(store("gs://shared/bob"), store("gcs://shared/bob"));
        assert_eq!(
            (
                store("gcs://shared").container,
                store("gcs://shared").prefix
            ),
            (Some("shared".into()), String::new())
        );
        assert_eq!(
            Home::parse("/srv/ftp/alice").unwrap(),
            Home::Dir("/srv/ftp/alice".into())
        );
        assert_eq!(
            Home::parse("file:///srv/x").unwrap(),
            Home::Dir("/srv/x".into())
        );
    }

    #[test]
    fn secrets_and_unknown_stores_are_refused() {
        for (bad, said) in [
            ("azure://acct/box?sv=2024&sig=SECRET", "carries no secret"),
            ("azure://name:SECRET@acct/box", "carries no key"),
            ("s3://ID:SECRET@bucket", "carries no key"),
            ("gcs://ID:SECRET@bucket/alice", "carries no key"),
            ("gs://bucket/a?access_token=SECRET", "carries no secret"),
            ("gcs://", "name the bucket, gcs://BUCKET"),
            ("ftp://elsewhere/x", "expected azure://"),
            ("azure:///box", "name the account"),
            ("s3://", "name the bucket"),
            ("azure://@acct/box", "empty credentials name"),
        ] {
            let error = Home::parse(bad).unwrap_err().to_string();
            assert!(error.contains(said), "{bad}: {error}");
            assert!(!error.contains("SECRET"), "{bad}: {error}");
        }
    }
}
