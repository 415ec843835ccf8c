//! A virtual host's own store (`[[host]]`'s `storage`), and the check
//! that no store home or mount reaches the usage store.

use std::sync::Arc;

use anyhow::{Result, anyhow, bail};
use wharf_vfs::Vfs;

use super::stores::Stores;
use crate::config::HostEntry;
use crate::usage::UsagePlan;
use crate::values::{Backend, StoreLocation, UsageStoreUrl};

/// The store `host` serves in place of a root, signed with the host's
/// `credentials` where its URL names none; `None` without `storage`.
pub(super) fn host_store(host: &HostEntry, stores: &mut Stores) -> Result<Option<Arc<dyn Vfs>>> {
    let Some(url) = &host.storage else {
        return Ok(None);
    };
    let what = format!("host {}: storage", host.name);
    let mut location = StoreLocation::parse(url)
        .map_err(|e| anyhow!("{what}: {e}"))?
        .ok_or_else(|| anyhow!("{what}: expected azure://, s3:// or gcs://"))?;
    match (&location.credentials, &host.credentials) {
        (Some(named), Some(given)) if named != given => {
            bail!("{what}: the URL names credentials {named:?}, credentials says {given:?}")
        }
        (None, Some(given)) => location.credentials = Some(given.clone()),
        _ => {}
    }
    stores.open(&location, &what).map(Some)
}

/// `prefix` as a folder prefix: `""` or `a/b/`.
fn folder(prefix: &str) -> String {
    let trimmed = prefix.trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("{trimmed}/")
    }
}

/// Whether one of two folder prefixes lies in the other.
fn nested(a: &str, b: &str) -> bool {
    let (a, b) = (folder(a), folder(b));
    a.starts_with(&b) || b.starts_with(&a)
}

/// Whether the usage store lies in what `location` shows.
fn reaches(store: &UsageStoreUrl, location: &StoreLocation) -> bool {
    let same_container = |container: &str| {
        location
            .container
            .as_ref()
            .is_none_or(|c| c.eq_ignore_ascii_case(container))
    };
    match (store, &location.backend) {
        (
            UsageStoreUrl::Azure {
                account,
                container,
                prefix,
            },
            Backend::Azure { account: served },
        ) => {
            served.eq_ignore_ascii_case(account)
                && same_container(container)
                && nested(prefix, &location.prefix)
        }
        (UsageStoreUrl::S3 { bucket, prefix }, Backend::S3) => {
            same_container(bucket) && nested(prefix, &location.prefix)
        }
        _ => false,
    }
}

/// Refuses a usage store inside a user's store home or mount, or a
/// host's store, as `--storage` refuses one in its view: any user who
/// can write there could reset every quota.
pub(super) fn refuse_reachable_usage<'a>(
    usage: &UsagePlan,
    opened: impl IntoIterator<Item = &'a StoreLocation>,
) -> Result<()> {
    match &usage.store {
        Some(store) => refuse_reachable(
            store,
            "--usage-store",
            "the usage records and so every quota",
            opened,
        ),
        None => Ok(()),
    }
}

/// Refuses a store of records (`flag`) that a home, mount or host store
/// contains: any writable user could delete or rewrite `what`.
pub(super) fn refuse_reachable<'a>(
    store: &UsageStoreUrl,
    flag: &str,
    what: &str,
    opened: impl IntoIterator<Item = &'a StoreLocation>,
) -> Result<()> {
    if let Some(location) = opened.into_iter().find(|l| reaches(store, l)) {
        bail!(
            "{flag} {store} is inside what FTP users see ({}): any writable user could \
             delete or rewrite {what}. Keep them in another container or bucket, or a folder \
             no home or mount contains",
            location.url()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(url: &str) -> StoreLocation {
        StoreLocation::parse(url).unwrap().unwrap()
    }

    #[test]
    fn a_usage_store_is_reached_only_where_the_folders_nest() {
        let store = UsageStoreUrl::parse("azure://acct/box/usage").unwrap();
        for (url, reached) in [
            ("azure://acct/box", true),
            ("azure://ACCT/box/usage/x", true),
            ("azure://acct", true),
            ("azure://acct/box/users/alice", false),
            ("azure://acct/box/usage-not", false),
            ("azure://other/box", false),
            ("azure://acct/other", false),
            ("s3://box/usage", false),
        ] {
            assert_eq!(reaches(&store, &location(url)), reached, "{url}");
        }
        let store = UsageStoreUrl::parse("s3://bucket").unwrap();
        assert!(reaches(&store, &location("s3://bucket/alice")));
        assert!(!reaches(&store, &location("s3://other")));
    }
}
