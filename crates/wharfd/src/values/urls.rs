//! The storage URLs of the settings: `--storage` (what FTP users see) and
//! `--usage-store` (where quota counts are kept).
//!
//! ```text
//! --storage      azure://ACCOUNT[/CONTAINER]   s3://[BUCKET]   gcs://[BUCKET[/PREFIX]]
//! --usage-store  DIR | file:///DIR | azure://ACCOUNT/CONTAINER[/PREFIX] | s3://BUCKET[/PREFIX]
//! ```

use std::path::PathBuf;

use anyhow::{Result, bail};

/// A parsed `--storage` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StorageUrl {
    Azure {
        account: String,
        container: Option<String>,
    },
    S3 {
        bucket: Option<String>,
    },
    /// Google Cloud Storage: one bucket (or a folder of it, `prefix`
    /// without leading or trailing `/`), or (none) the project's buckets.
    Gcs {
        bucket: Option<String>,
        prefix: String,
    },
}

impl StorageUrl {
    pub(crate) fn parse(text: &str) -> Result<Self> {
        let split = |rest: &str| {
            let mut parts = rest.trim_end_matches('/').splitn(2, '/');
            let first = parts.next().unwrap_or_default().to_owned();
            let second = parts.next().filter(|s| !s.is_empty()).map(str::to_owned);
            (first, second)
        };
        if let Some(rest) = text.strip_prefix("azure://") {
            let (account, container) = split(rest);
            if account.is_empty() {
                bail!("--storage {text}: name the account, azure://ACCOUNT[/CONTAINER]");
            }
            if container.as_deref().is_some_and(|c| c.contains('/')) {
                bail!("--storage {text}: one container, not a path inside it");
            }
            return Ok(Self::Azure { account, container });
        }
        if let Some(rest) = text.strip_prefix("s3://") {
            let (bucket, extra) = split(rest);
            if extra.is_some() {
                bail!("--storage {text}: one bucket, not a path inside it");
            }
            return Ok(Self::S3 {
                bucket: (!bucket.is_empty()).then_some(bucket),
            });
        }
        if let Some(rest) = text.strip_prefix("gcs://") {
            let (bucket, extra) = split(rest);
            let prefix = (extra.unwrap_or_default().split('/'))
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join("/");
            if bucket.is_empty() && !prefix.is_empty() {
                bail!("--storage {text}: name the bucket, gcs://BUCKET/PREFIX");
            }
            return Ok(Self::Gcs {
                bucket: (!bucket.is_empty()).then_some(bucket),
                prefix,
            });
        }
        bail!(
            "--storage {text}: expected azure://ACCOUNT[/CONTAINER], s3://[BUCKET] or gcs://[BUCKET[/PREFIX]]"
        )
    }
}

/// A parsed `--usage-store`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UsageStoreUrl {
    Dir(PathBuf),
    Azure {
        account: String,
        container: String,
        prefix: String,
    },
    S3 {
        bucket: String,
        prefix: String,
    },
}

impl UsageStoreUrl {
    pub(crate) fn parse(text: &str) -> Result<Self> {
        Self::parse_for("--usage-store", text)
    }

    /// [`parse`](Self::parse) for `flag`, which errors name.
    pub(crate) fn parse_for(flag: &str, text: &str) -> Result<Self> {
        let split = |rest: &str| {
            let mut parts = rest.trim_matches('/').splitn(3, '/');
            let first = parts.next().unwrap_or_default().to_owned();
            let second = parts.next().unwrap_or_default().to_owned();
            let third = parts.next().unwrap_or_default().to_owned();
            (first, second, third)
        };
        if let Some(rest) = text.strip_prefix("azure://") {
            let (account, container, prefix) = split(rest);
            if account.is_empty() || container.is_empty() {
                bail!("{flag} {text}: expected azure://ACCOUNT/CONTAINER[/PREFIX]");
            }
            return Ok(Self::Azure {
                account,
                container,
                prefix,
            });
        }
        if let Some(rest) = text.strip_prefix("s3://") {
            let (bucket, first, rest) = split(rest);
            if bucket.is_empty() {
                bail!("{flag} {text}: expected s3://BUCKET[/PREFIX]");
            }
            let prefix = [first, rest]
                .into_iter()
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join("/");
            return Ok(Self::S3 { bucket, prefix });
        }
        if text.contains("://") && !text.starts_with("file://") {
            bail!(
                "{flag} {text}: expected a directory, file:///DIR, azure://ACCOUNT/CONTAINER[/PREFIX] or s3://BUCKET[/PREFIX]"
            );
        }
        let dir = text.strip_prefix("file://").unwrap_or(text);
        if dir.is_empty() {
            bail!("{flag}: empty directory name");
        }
        Ok(Self::Dir(PathBuf::from(dir)))
    }
}

impl std::fmt::Display for UsageStoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tail = |prefix: &str| {
            if prefix.is_empty() {
                String::new()
            } else {
                format!("/{prefix}")
            }
        };
        match self {
            Self::Dir(dir) => write!(f, "{}", dir.display()),
            Self::Azure {
                account,
                container,
                prefix,
            } => write!(f, "azure://{account}/{container}{}", tail(prefix)),
            Self::S3 { bucket, prefix } => write!(f, "s3://{bucket}{}", tail(prefix)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            StorageUrl::parse("azure://acct/box").unwrap(),
            StorageUrl::Azure {
                account: "acct".into(),
                container: Some("box".into())
            }
        );
        assert_eq!(
            StorageUrl::parse("azure://acct").unwrap(),
            StorageUrl::Azure {
                account: "acct".into(),
                container: None
            }
        );
        assert_eq!(
            StorageUrl::parse("s3://").unwrap(),
            StorageUrl::S3 { bucket: None }
        );
        assert_eq!(
            StorageUrl::parse("s3://b/").unwrap(),
            StorageUrl::S3 {
                bucket: Some("b".into())
            }
        );
        assert_eq!(
            StorageUrl::parse("gcs://").unwrap(),
            StorageUrl::Gcs {
                bucket: None,
                prefix: String::new()
            }
        );
        assert_eq!(
            StorageUrl::parse("gcs://photos/").unwrap(),
            StorageUrl::Gcs {
                bucket: Some("photos".into()),
                prefix: String::new()
            }
        );
        assert_eq!(
            StorageUrl::parse("gcs://photos/2026//summer/").unwrap(),
            StorageUrl::Gcs {
                bucket: Some("photos".into()),
                prefix: "2026/summer".into()
            }
        );
        for bad in [
            "azure://",
            "azure://a/b/c",
            "s3://b/c",
            "gcs:///prefix",
            "gs://b",
            "box",
        ] {
            assert!(StorageUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn store_urls() {
        assert_eq!(
            UsageStoreUrl::parse("azure://acct/usage/wharf/prod").unwrap(),
            UsageStoreUrl::Azure {
                account: "acct".into(),
                container: "usage".into(),
                prefix: "wharf/prod".into()
            }
        );
        assert_eq!(
            UsageStoreUrl::parse("s3://bucket").unwrap(),
            UsageStoreUrl::S3 {
                bucket: "bucket".into(),
                prefix: String::new()
            }
        );
        assert_eq!(
            UsageStoreUrl::parse("s3://bucket/a/b").unwrap(),
            UsageStoreUrl::S3 {
                bucket: "bucket".into(),
                prefix: "a/b".into()
            }
        );
        assert_eq!(
            UsageStoreUrl::parse("file:///var/lib/wharf").unwrap(),
            UsageStoreUrl::Dir("/var/lib/wharf".into())
        );
        assert_eq!(
            UsageStoreUrl::parse("usage").unwrap(),
            UsageStoreUrl::Dir("usage".into())
        );
        for bad in ["azure://acct", "azure://", "s3://", "gcs://x", ""] {
            assert!(UsageStoreUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
