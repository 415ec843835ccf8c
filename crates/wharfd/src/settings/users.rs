//! The users of the config and users files as logins: each user's root,
//! with their mounts (`MountFs`), permissions, rates and access list.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use wharf_session::UserList;
use wharf_vfs::{MountFs, Vfs};

use super::{Roots, table_rate};
use crate::config::{UserEntry, relative_to};
use crate::values::access_list;

/// Adds `entries` to `list`; their relative roots are below `base`.
pub(super) fn add_users(
    mut list: UserList,
    entries: &[UserEntry],
    base: &Path,
    roots: &mut Roots,
) -> Result<UserList> {
    for user in entries {
        if roots.fixed.is_some() && user.root.is_some() {
            return Err(anyhow!(
                "user {}: a per-user root needs local storage, not --storage",
                user.name
            ));
        }
        let root = match &user.root {
            Some(dir) => relative_to(base, dir),
            None => base.to_owned(),
        };
        let vfs = user_tree(user, roots.open(&root)?, base, roots)?;
        if let Some(rules) = user
            .path_rules(&format!("user {}", user.name))
            .map_err(|e| anyhow!("{e}"))?
        {
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

/// The user's tree: `root` with the user's mounts, each a local directory
/// (relative ones below `base`) opened once like the roots.
fn user_tree(
    user: &UserEntry,
    root: Arc<dyn Vfs>,
    base: &Path,
    roots: &mut Roots,
) -> Result<Arc<dyn Vfs>> {
    let mounts = user
        .mount_points(&format!("user {}", user.name))
        .map_err(|e| anyhow!("{e}"))?;
    if mounts.is_empty() {
        return Ok(root);
    }
    if roots.fixed.is_some() {
        return Err(anyhow!(
            "user {}: mounts need local storage, not --storage",
            user.name
        ));
    }
    let mut tree = MountFs::new(root);
    for (at, dir, read_only) in mounts {
        let vfs = roots.open(&relative_to(base, &dir))?;
        tree = tree
            .mount(at, vfs, read_only)
            .with_context(|| format!("user {}: mounts", user.name))?;
    }
    Ok(Arc::new(tree))
}
