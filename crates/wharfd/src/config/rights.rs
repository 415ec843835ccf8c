//! A user's permissions, path rules and mounts in the users file:
//!
//! ```toml
//! [[user]]
//! name = "dana"
//! permissions = ["list", "download"]    # the default for the whole tree
//! rules = [{ path = "/incoming", permissions = ["upload"] }]
//! mounts = [{ path = "/archive", dir = "/srv/archive", read_only = true }]
//! ```

use std::path::PathBuf;

use anyhow::{Result, anyhow};
use serde::Deserialize;
use wharf_session::{PathRules, Permission, Permissions};
use wharf_vfs::VPath;

use super::UserEntry;

/// `rules = [{ path, permissions }]`: what the user may do at and below
/// `path`; the longest path a command's path lies under wins.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleEntry {
    pub(crate) path: String,
    pub(crate) permissions: Vec<String>,
}

/// `mounts = [{ path, dir, read_only }]`: the local directory `dir`
/// (absolute, or relative to the server or host root) shown at `path` of
/// the user's tree.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MountEntry {
    pub(crate) path: String,
    pub(crate) dir: PathBuf,
    #[serde(default)]
    pub(crate) read_only: bool,
}

/// A permission list: the names of [`Permission`], or `"all"`.
fn permissions(names: &[String], key: &str) -> Result<Permissions> {
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

    /// The user's mounts: where each appears, its directory, whether it is
    /// read-only.
    pub(crate) fn mount_points(&self, key: &str) -> Result<Vec<(VPath, PathBuf, bool)>> {
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
            mounts.push((at, mount.dir.clone(), mount.read_only));
        }
        Ok(mounts)
    }
}
