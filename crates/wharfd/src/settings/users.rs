//! The users of the config and users files as logins: each user's root
//! (`root`, or a `home` on any store), with their mounts (`MountFs`),
//! permissions, rates and access list.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use wharf_session::{PathRules, Permissions, UserList};
use wharf_vfs::{MountFs, VPath, Vfs};

use super::stores::Stores;
use super::{Roots, table_rate};
use crate::config::{MountSource, UserEntry, relative_to};
use crate::values::{Home, access_list};

/// Where a list of users lives: the server's or a virtual host's root and
/// store.
pub(super) struct Scope<'a> {
    /// Relative roots, homes and mounted directories are below it.
    pub(super) base: &'a Path,
    /// The store served in place of `base` (`--storage`, a host's
    /// `storage`): users get it unless they have a home, and per-user
    /// roots and mounted directories are refused.
    pub(super) fixed: Option<Arc<dyn Vfs>>,
}

/// Adds `entries` to `list`.
pub(super) fn add_users(
    mut list: UserList,
    entries: &[UserEntry],
    scope: &Scope<'_>,
    roots: &mut Roots,
    stores: &mut Stores,
) -> Result<UserList> {
    for user in entries {
        let vfs = user_tree(user, scope, roots, stores)?;
        if let Some(rules) = user_rules(user)? {
            list = list.with_permissions(user.name.clone(), rules);
        }
        if user.tls_exempt {
            list = list.exempt_from_tls(user.name.clone());
        }
        let what = |key| format!("user {}: {key}", user.name);
        let download = table_rate(user.download_rate.as_ref(), &what("download_rate"))?;
        let upload = table_rate(user.upload_rate.as_ref(), &what("upload_rate"))?;
        let access = access_list(&user.allow, &user.deny, "")
            .map_err(|e| anyhow!("user {}: {e}", user.name))?;
        if !access.is_empty() {
            list = list.with_access(user.name.clone(), access);
        }
        list = match (&user.password_hash, &user.password) {
            (Some(hash), _) => list
                .with_hash(user.name.clone(), hash.clone(), vfs, user.may_write())
                .with_context(|| format!("user {}: password_hash", user.name))?,
            (None, Some(password)) => list
                .with_password(
                    user.name.clone(),
                    password.as_bytes(),
                    vfs,
                    user.may_write(),
                )
                .with_context(|| format!("user {}: password", user.name))?,
            (None, None) => {
                return Err(anyhow!(
                    "user {}: needs password_hash or password",
                    user.name
                ));
            }
        };
        list = list.with_user_rates(&user.name, download, upload);
    }
    Ok(list)
}

/// The user's `/`: the home, else the root, else the scope's store or
/// base.
fn user_root(
    user: &UserEntry,
    scope: &Scope<'_>,
    roots: &mut Roots,
    stores: &mut Stores,
) -> Result<Arc<dyn Vfs>> {
    let key = format!("user {}", user.name);
    match user.home_location(&key)? {
        Some(Home::Store(location)) => stores.open(&location, &format!("{key}: home")),
        Some(Home::Dir(dir)) => roots.open_dir(&relative_to(scope.base, &dir)),
        None => match (&user.root, &scope.fixed) {
            (Some(_), Some(_)) => Err(anyhow!(
                "user {}: a per-user root needs local storage, not --storage (give home = \"azure://...\" or \"s3://...\" for a home in a store)",
                user.name
            )),
            (Some(dir), None) => roots.open(&relative_to(scope.base, dir)),
            (None, Some(store)) => Ok(store.clone()),
            (None, None) => roots.open(scope.base),
        },
    }
}

/// The user's tree: the root with the user's mounts, each a local
/// directory (relative ones below the scope's base) or a store, opened
/// once like the roots.
fn user_tree(
    user: &UserEntry,
    scope: &Scope<'_>,
    roots: &mut Roots,
    stores: &mut Stores,
) -> Result<Arc<dyn Vfs>> {
    let root = user_root(user, scope, roots, stores)?;
    let mounts = user
        .mount_points(&format!("user {}", user.name))
        .map_err(|e| anyhow!("{e}"))?;
    if mounts.is_empty() {
        return Ok(root);
    }
    let mut tree = MountFs::new(root);
    for (at, source, read_only) in mounts {
        let vfs = match source {
            MountSource::Dir(_) if scope.fixed.is_some() => {
                return Err(anyhow!(
                    "user {}: mounts need local storage, not --storage",
                    user.name
                ));
            }
            MountSource::Dir(dir) => roots.open(&relative_to(scope.base, &dir))?,
            MountSource::Store(mut location) => {
                if location.credentials.is_none() {
                    location.credentials.clone_from(&user.credentials);
                }
                stores.open(&location, &format!("user {}: mount {at}", user.name))?
            }
        };
        tree = tree
            .mount(at, vfs, read_only)
            .with_context(|| format!("user {}: mounts", user.name))?;
    }
    Ok(Arc::new(tree))
}

/// The user's permissions: `permissions` and `rules`, and at each
/// read-only mount what the user may do there less every change, so that
/// a refusal names the permission (`550 /archive/x: permission denied
/// (upload).`). A rule the user gives for the mount's own path is left as
/// written; the mount still refuses changes (`550 ...: Permission
/// denied.`). `None`: the `writable` preset, with no read-only mount.
fn user_rules(user: &UserEntry) -> Result<Option<PathRules>> {
    let key = format!("user {}", user.name);
    let rules = user.path_rules(&key).map_err(|e| anyhow!("{e}"))?;
    let read_only: Vec<VPath> = user
        .mount_points(&key)
        .map_err(|e| anyhow!("{e}"))?
        .into_iter()
        .filter(|(at, _, read_only)| {
            *read_only
                && !user
                    .rules
                    .iter()
                    .any(|r| VPath::parse(&r.path).ok() == Some(at.clone()))
        })
        .map(|(at, _, _)| at)
        .collect();
    if read_only.is_empty() {
        return Ok(rules);
    }
    let mut rules = rules.unwrap_or_else(|| {
        PathRules::new(if user.may_write() {
            Permissions::ALL
        } else {
            Permissions::READ_ONLY
        })
    });
    for at in read_only {
        let there = rules.at(&at);
        let kept = there
            .iter()
            .filter(|p| Permissions::READ_ONLY.contains(*p))
            .fold(Permissions::NONE, Permissions::with);
        rules = rules.with_rule(at, kept);
    }
    Ok(Some(rules))
}
