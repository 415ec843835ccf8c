//! A user's permissions, path rules and mounts in the users file:
//!
//! ```toml
//! [[user]]
//! name = "dana"
//! permissions = ["list", "download"]    # the default for the whole tree
//! rules = [{ path = "/incoming", permissions = ["upload"] }]
//! mounts = [
//!   { path = "/archive", dir = "/srv/archive", read_only = true },
//!   { path = "/shared", store = "azure://acct/shared", credentials = "team" },
//! ]
//! ```

use std::path::PathBuf;

use anyhow::{Result, anyhow};
use serde::Deserialize;
use wharf_session::{PathRules, Permission, Permissions};
use wharf_vfs::VPath;

use super::UserEntry;
use crate::values::StoreLocation;

/// A mount's `store` URL with its `credentials` (the URL's `NAME@` and the
/// key must agree).
fn mount_store(url: &str, mount: &MountEntry, key: &str) -> Result<StoreLocation> {
    let mut location = StoreLocation::parse(url)
        .map_err(|e| anyhow!("{key}.store: {e}"))?
        .ok_or_else(|| {
            anyhow!("{key}.store: {url:?} is not azure:// or s3:// (use dir for a directory)")
        })?;
    match (&location.credentials, &mount.credentials) {
        (Some(named), Some(given)) if named != given => {
            return Err(anyhow!(
                "{key}: the store URL names credentials {named:?}, credentials says {given:?}"
            ));
        }
        (None, Some(given)) => location.credentials = Some(given.clone()),
        _ => {}
    }
    Ok(location)
}

/// `rules = [{ path, permissions }]`: what the user may do at and below
/// `path`; the longest path a command's path lies under wins.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleEntry {
    pub(crate) path: String,
    pub(crate) permissions: Vec<String>,
}

/// `mounts = [{ path, dir | store, credentials, read_only }]`: the local
/// directory `dir` (absolute, or relative to the server or host root), or
/// the place `store` of an object store (`values/home.rs`, signed with
/// `credentials`, else the user's), shown at `path` of the user's tree.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MountEntry {
    pub(crate) path: String,
    #[serde(default)]
    pub(crate) dir: Option<PathBuf>,
    #[serde(default)]
    pub(crate) store: Option<String>,
    #[serde(default)]
    pub(crate) credentials: Option<String>,
    #[serde(default)]
    pub(crate) read_only: bool,
}

/// What a mount shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MountSource {
    Dir(PathBuf),
    Store(StoreLocation),
}

/// A permission list: the names of [`Permission`], or `"all"`.
pub(super) fn permissions(names: &[String], key: &str) -> Result<Permissions> {
    names.iter().try_fold(Permissions::NONE, |set, name| {
        if name == "all" {
            return Ok(Permissions::ALL);
        }
        let permission: Permission = name.parse().map_err(|e| anyhow!("{key}: {e} or all"))?;
        Ok(set.with(permission))
    })
}

/// A path of the user's tree, written in the users file.
fn tree_path(path: &str, key: &str) -> Result<VPath> {
    if !path.starts_with('/') {
        return Err(anyhow!("{key}: {path:?} must start with /"));
    }
    VPath::parse(path).map_err(|e| anyhow!("{key}: {e}"))
}

impl UserEntry {
    /// The user's permissions when `permissions` or `rules` is given
    /// (`None`: the preset `writable` picks). `key` names the table, such
    /// as `user[2]`.
    pub(crate) fn path_rules(&self, key: &str) -> Result<Option<PathRules>> {
        if self.permissions.is_none() && self.rules.is_empty() {
            return Ok(None);
        }
        if self.permissions.is_some() && self.writable.is_some() {
            return Err(anyhow!(
                "{key} ({}): give writable or permissions, not both (permissions = [\"list\", \"download\"] is read-only)",
                self.name
            ));
        }
        let default = match &self.permissions {
            Some(names) => permissions(names, &format!("{key}.permissions"))?,
            None if self.writable == Some(false) => Permissions::READ_ONLY,
            None => Permissions::ALL,
        };
        let mut rules = PathRules::new(default);
        for (i, rule) in self.rules.iter().enumerate() {
            let key = format!("{key}.rules[{i}]");
            let path = tree_path(&rule.path, &format!("{key}.path"))?;
            let set = permissions(&rule.permissions, &format!("{key}.permissions"))?;
            rules = rules.with_rule(path, set);
        }
        Ok(Some(rules))
    }

    /// The user's mounts: where each appears, what it shows, whether it is
    /// read-only.
    pub(crate) fn mount_points(&self, key: &str) -> Result<Vec<(VPath, MountSource, bool)>> {
        let mut mounts = Vec::new();
        for (i, mount) in self.mounts.iter().enumerate() {
            let at_key = format!("{key}.mounts[{i}].path");
            let at = tree_path(&mount.path, &at_key)?;
            if at.is_root() {
                return Err(anyhow!(
                    "{at_key}: cannot mount at /; that is the user's root"
                ));
            }
            if mounts.iter().any(|(seen, _, _)| *seen == at) {
                return Err(anyhow!("{at_key}: {at} is mounted twice"));
            }
            let source = match (&mount.dir, &mount.store) {
                (Some(dir), None) if mount.credentials.is_none() => MountSource::Dir(dir.clone()),
                (Some(_), None) => {
                    return Err(anyhow!(
                        "{key}.mounts[{i}].credentials: a directory needs none"
                    ));
                }
                (None, Some(url)) => {
                    MountSource::Store(mount_store(url, mount, &format!("{key}.mounts[{i}]"))?)
                }
                _ => {
                    return Err(anyhow!(
                        "{key}.mounts[{i}]: give dir (a local directory) or store (azure://, s3://), one of them"
                    ));
                }
            };
            mounts.push((at, source, mount.read_only));
        }
        Ok(mounts)
    }
}
