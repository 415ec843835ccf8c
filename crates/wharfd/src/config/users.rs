//! Accounts: `[[user]]` in the config file, or a users file
//! (`--users FILE`) of `[[user]]` tables only.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::read;
use wharf_session::IpNetwork;

use super::rights::{MountEntry, RuleEntry};
use crate::values::{Size, Written, access_list};

/// One account, in the config file or a users file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserEntry {
    pub(crate) name: String,
    /// An argon2 PHC string (`wharfd --hash-password` makes one).
    pub(crate) password_hash: Option<String>,
    /// A password in clear, hashed at start; for tests and quick set-ups.
    pub(crate) password: Option<String>,
    /// The user's `/`: absolute, or relative to the server root.
    pub(crate) root: Option<PathBuf>,
    /// The user's `/` on any store, in place of `root`: `azure://...`,
    /// `s3://...` or a directory (`values/home.rs`); `{user}` stands for
    /// the name.
    #[serde(default)]
    pub(crate) home: Option<String>,
    /// The `[credentials.NAME]` of the config file that signs for the
    /// home and the mounts that name none.
    #[serde(default)]
    pub(crate) credentials: Option<String>,
    /// May change anything (the default), or read only; `permissions`
    /// says it in detail instead.
    #[serde(default)]
    pub(crate) writable: Option<bool>,
    /// What the user may do in the whole tree (see `rights.rs`), in place
    /// of `writable`.
    #[serde(default)]
    pub(crate) permissions: Option<Vec<String>>,
    /// What the user may do at and below given paths.
    #[serde(default)]
    pub(crate) rules: Vec<RuleEntry>,
    /// Other local directories shown as folders of the user's tree.
    #[serde(default)]
    pub(crate) mounts: Vec<MountEntry>,
    /// Exempt from the TLS policy (a legacy client on a trusted network).
    #[serde(default)]
    pub(crate) tls_exempt: bool,
    /// This user's traffic quota per period, overriding the default.
    #[serde(default)]
    pub(crate) quota: Option<Size>,
    /// Bandwidth of all this user's sessions together.
    #[serde(default)]
    pub(crate) download_rate: Option<Size>,
    #[serde(default)]
    pub(crate) upload_rate: Option<Size>,
    /// Networks this user may log in from (none: any), `"10.0.0.0/8"`.
    #[serde(default)]
    pub(crate) allow: Vec<Written<IpNetwork>>,
    /// Networks this user may not log in from; deny wins over allow.
    #[serde(default)]
    pub(crate) deny: Vec<Written<IpNetwork>>,
}

impl UserEntry {
    /// Whether the user may write, where no `permissions` say more.
    pub(crate) fn may_write(&self) -> bool {
        self.writable.unwrap_or(true)
    }
}

/// A users file: `[[user]]` tables only.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct UsersFile {
    #[serde(rename = "user")]
    users: Vec<UserEntry>,
    /// Named only to be refused with a reason: keys stay out of users
    /// files.
    credentials: Option<toml::Value>,
}

pub(super) fn check_users(users: &[UserEntry], key: &str) -> Result<()> {
    for (i, user) in users.iter().enumerate() {
        if user.name.is_empty() {
            bail!("{key}[{i}].name: must not be empty");
        }
        access_list(&user.allow, &user.deny, &format!("{key}[{i}]."))
            .map_err(|e| anyhow::anyhow!("{e} ({})", user.name))?;
        user.path_rules(&format!("{key}[{i}]"))?;
        user.mount_points(&format!("{key}[{i}]"))?;
        user.home_location(&format!("{key}[{i}]"))?;
        if let Some(quota) = &user.quota {
            quota
                .bytes()
                .map_err(|e| anyhow::anyhow!("{key}[{i}].quota ({}): {e}", user.name))?;
        }
        match (&user.password_hash, &user.password) {
            (None, None) => bail!(
                "{key}[{i}] ({}): needs password_hash or password",
                user.name
            ),
            (Some(_), Some(_)) => {
                bail!(
                    "{key}[{i}] ({}): give password_hash or password, not both",
                    user.name
                )
            }
            _ => {}
        }
    }
    Ok(())
}

/// Reads a users file; users' relative roots stay relative (to the server
/// or host root, resolved later).
pub(crate) fn load_users(path: &Path) -> Result<Vec<UserEntry>> {
    parse_users(&read(path, "users file")?)
        .with_context(|| format!("in users file {}", path.display()))
}

/// Parses the text of a users file and checks its entries.
pub(crate) fn parse_users(text: &str) -> Result<Vec<UserEntry>> {
    let file: UsersFile = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
    if file.credentials.is_some() {
        bail!(
            "[credentials] belong in the config file (with the secrets in files of their own); \
             users name them with credentials = \"NAME\""
        );
    }
    check_users(&file.users, "user")?;
    Ok(file.users)
}
