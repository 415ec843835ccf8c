//! [`BlobFs::with_prefix`]: a container view jailed in one folder of the
//! container, so that several users can each have a home in one container
//! (`azure://account/homes/alice`, `s3://bucket/users/bob`).
//!
//! The folder is a key prefix (`users/bob/`) put in front of every name
//! the view stores or lists; the client's paths never show it, and no path
//! can leave it: [`VPath`](wharf_vfs::VPath)s are resolved beneath `/`
//! before they arrive, so `..` cannot climb out of the prefix. Its root
//! behaves as a container's: it always exists (an empty home is an empty
//! listing, and no marker blob is needed for it), and it cannot be
//! removed or renamed.

use std::sync::Arc;

use crate::blobfs::BlobFs;
use crate::config::{FolderMarker, View};
use crate::errors::BlobError;
use crate::names::encode;

impl BlobFs {
    /// The same store and container, with `/` at the folder `prefix`
    /// (`"users/bob"`; leading, trailing and repeated slashes are
    /// ignored) below this view's `/`. The new view shares this one's
    /// HTTP connections and clients, so one `BlobFs` per container can
    /// hand out a view per user cheaply.
    ///
    /// Refused for the account view (its `/` lists containers, which a
    /// prefix cannot name), and for prefixes with `.`, `..` or the folder
    /// placeholder's name as a component. An empty prefix is this view.
    pub fn with_prefix(&self, prefix: &str) -> Result<Self, BlobError> {
        if self.account.config.view == View::Account {
            return Err(BlobError::Config(
                "a prefix needs a container view (one container or bucket as /)".into(),
            ));
        }
        let mut base = self.base.to_string();
        for part in prefix.split('/').filter(|p| !p.is_empty()) {
            if part == "." || part == ".." {
                return Err(BlobError::Config(format!(
                    "prefix {prefix:?}: {part:?} is not a folder name"
                )));
            }
            if matches!(&self.account.config.folder_marker, FolderMarker::Placeholder(p) if p == part)
            {
                return Err(BlobError::Config(format!(
                    "prefix {prefix:?}: {part:?} is the folder placeholder's name"
                )));
            }
            base.push_str(&encode(part));
            base.push('/');
        }
        Ok(Self {
            account: self.account.clone(),
            base: Arc::from(base),
        })
    }

    /// The key prefix of this view's `/` (`""` for a whole container,
    /// else stored names ending in `/`).
    pub fn prefix(&self) -> &str {
        &self.base
    }
}

#[cfg(test)]
mod tests {
    use crate::{BlobConfig, BlobFs, Store, View};

    fn container() -> BlobFs {
        let store = Store::s3("http://127.0.0.1:9", "us-east-1", "id", "secret");
        BlobFs::new(BlobConfig::new(store, View::Container("homes".into()))).unwrap()
    }

    #[test]
    fn prefixes_are_stored_names_ending_in_a_slash() {
        let homes = container();
        assert_eq!(homes.prefix(), "");
        let bob = homes.with_prefix("/users//bob/").unwrap();
        assert_eq!(bob.prefix(), "users/bob/");
        assert_eq!(bob.with_prefix("in").unwrap().prefix(), "users/bob/in/");
        assert_eq!(homes.with_prefix("a\tb").unwrap().prefix(), "a%09b/");
        assert_eq!(homes.with_prefix("").unwrap().prefix(), "");
    }

    #[test]
    fn prefixes_that_could_leave_or_hide_are_refused() {
        let homes = container();
        for bad in ["..", "users/../x", "./x", "x/.placeholder"] {
            assert!(homes.with_prefix(bad).is_err(), "{bad}");
        }
        let store = Store::s3("http://127.0.0.1:9", "us-east-1", "id", "secret");
        let account = BlobFs::new(BlobConfig::new(store, View::Account)).unwrap();
        let refused = account.with_prefix("x").unwrap_err().to_string();
        assert!(refused.contains("container view"), "{refused}");
    }
}
