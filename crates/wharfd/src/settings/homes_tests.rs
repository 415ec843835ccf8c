//! Users' homes and mounts on stores, credentials by name, and virtual
//! hosts' stores and defaults, as start-up resolves them (no store is
//! contacted: a `BlobFs` makes no request until used).

use std::path::Path;

use wharf_session::{AuthContext, Authenticator, Login, Permission};
use wharf_vfs::VPath;

use super::*;

/// Azurite's well-known key: any valid base64 key will do here.
const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// `config` (with `{dir}` for a temporary directory holding `team.key`)
/// resolved; the directory stays for the settings' life.
fn try_resolve(dir: &Path, config: &str) -> Result<Settings> {
    std::fs::write(dir.join("team.key"), KEY).unwrap();
    let text = config.replace("{dir}", &dir.display().to_string());
    let mut config = Config::parse(&text)?;
    config.root = Some(dir.join("root"));
    for credential in config.credentials.values_mut() {
        credential.file = credential.file.take().map(|p| dir.join(p));
    }
    Settings::resolve(config, &[], || Ok("otp".into()), None, None)
}

async fn login(users: &UserList, name: &str) -> Login {
    let context = AuthContext::new("127.0.0.1:1".parse().unwrap(), None);
    users.authenticate(name, b"pw", &context).await.unwrap()
}

const TEAM: &str = "[credentials.team]\nkind = \"azure-key\"\nfile = \"team.key\"\n";

#[test]
fn an_unknown_credentials_name_stops_the_start_and_says_which() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "{TEAM}[[user]]\nname = \"alice\"\npassword = \"pw\"\n\
         home = \"azure://acct/homes/alice\"\ncredentials = \"tema\"\n"
    );
    let error = format!("{:#}", try_resolve(dir.path(), &config).err().unwrap());
    assert!(
        error.contains("user alice: home: azure://acct/homes/alice")
            && error.contains("credentials \"tema\": the config file has no [credentials.tema]"),
        "{error}"
    );
    // A key of the wrong store is named too.
    let config = "[credentials.s3]\nkind = \"s3-keys\"\nfile = \"team.key\"\n\
                  [[user]]\nname = \"alice\"\npassword = \"pw\"\n\
                  home = \"azure://s3@acct/homes/alice\"\n";
    let error = format!("{:#}", try_resolve(dir.path(), config).err().unwrap());
    assert!(
        error.contains("credentials.s3 is for S3, the store is on Azure"),
        "{error}"
    );
    let config = "[credentials.sa]\nkind = \"gcs-key\"\nfile = \"team.key\"\n\
                  [[user]]\nname = \"alice\"\npassword = \"pw\"\n\
                  home = \"s3://sa@bucket/alice\"\n";
    let error = format!("{:#}", try_resolve(dir.path(), config).err().unwrap());
    assert!(
        error.contains("credentials.sa is for GCS, the store is on S3"),
        "{error}"
    );
}

#[test]
fn secrets_stay_out_of_the_config_and_users_files() {
    let error = format!(
        "{:#}",
        Config::parse("[credentials.team]\nkind = \"azure-key\"\nkey = \"c2VjcmV0\"\n")
            .err()
            .unwrap()
    );
    assert!(
        error.contains("credentials.team.key: secrets are not written in the config file"),
        "{error}"
    );
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users.toml");
    std::fs::write(
        &users,
        "[credentials.team]\nkind = \"azure-key\"\nfile = \"k\"\n\
         [[user]]\nname = \"a\"\npassword = \"pw\"\n",
    )
    .unwrap();
    let error = format!("{:#}", crate::config::load_users(&users).err().unwrap());
    assert!(
        error.contains("[credentials] belong in the config file"),
        "{error}"
    );
    std::fs::write(
        &users,
        "[[user]]\nname = \"a\"\npassword = \"pw\"\nhome = \"azure://a/b/c?sv=1&sig=SECRET\"\n",
    )
    .unwrap();
    let error = format!("{:#}", crate::config::load_users(&users).err().unwrap());
    assert!(
        error.contains("a store URL carries no secret") && !error.contains("SECRET"),
        "{error}"
    );
}

#[tokio::test]
async fn one_view_per_home_shared_by_its_users() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "{TEAM}[[user]]\nname = \"alice\"\npassword = \"pw\"\n\
         home = \"azure://team@acct/homes/alice\"\n\
         [[user]]\nname = \"alice2\"\npassword = \"pw\"\n\
         home = \"azure://acct/homes/alice\"\ncredentials = \"team\"\n\
         [[user]]\nname = \"bob\"\npassword = \"pw\"\n\
         home = \"azure://team@acct/homes/bob\"\n\
         [[user]]\nname = \"local\"\npassword = \"pw\"\nhome = \"{{dir}}/local\"\n"
    );
    let s = try_resolve(dir.path(), &config).unwrap();
    let alice = login(&s.users, "alice").await;
    let alice2 = login(&s.users, "alice2").await;
    let bob = login(&s.users, "bob").await;
    assert!(Arc::ptr_eq(&alice.vfs, &alice2.vfs));
    assert!(!Arc::ptr_eq(&alice.vfs, &bob.vfs));
    // A local home is a directory, created at start like a root.
    login(&s.users, "local").await;
    assert!(dir.path().join("local").is_dir());
}

#[tokio::test]
async fn a_read_only_mount_takes_the_changes_away_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "{TEAM}[[user]]\nname = \"alice\"\npassword = \"pw\"\n\
         home = \"azure://team@acct/homes/alice\"\n\
         mounts = [{{ path = \"/archive\", store = \"azure://team@acct/archive\", read_only = true }}]\n"
    );
    let s = try_resolve(dir.path(), &config).unwrap();
    let alice = login(&s.users, "alice").await;
    let inside = VPath::parse("/archive/2024.txt").unwrap();
    let rules = &alice.permissions;
    assert!(rules.allows(&inside, Permission::Download));
    for change in [Permission::Upload, Permission::Delete, Permission::Rename] {
        assert!(!rules.allows(&inside, change), "{change:?}");
    }
    assert!(rules.allows(&VPath::parse("/mine.txt").unwrap(), Permission::Upload));
    // A rename from the home into the mount is refused before any
    // request, as MountFs documents.
    let crossing = alice
        .vfs
        .rename(&VPath::parse("/mine.txt").unwrap(), &inside)
        .await
        .unwrap_err();
    assert_eq!(crossing.kind(), wharf_vfs::VfsErrorKind::CrossesMount);
    // A mount names a directory or a store, not both.
    let both = "[[user]]\nname = \"a\"\npassword = \"pw\"\n\
                mounts = [{ path = \"/m\", dir = \"d\", store = \"s3://b\" }]\n";
    let error = format!("{:#}", Config::parse(both).err().unwrap());
    assert!(
        error.contains("give dir (a local directory) or store"),
        "{error}"
    );
}

#[tokio::test]
async fn a_host_serves_its_own_store_users_and_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("h-users.toml");
    std::fs::write(
        &users,
        "[[user]]\nname = \"carol\"\npassword = \"pw\"\n\
         [[user]]\nname = \"dave\"\npassword = \"pw\"\npermissions = [\"all\"]\n",
    )
    .unwrap();
    let config = format!(
        "{TEAM}[[user]]\nname = \"main\"\npassword = \"pw\"\n\
         [[host]]\nname = \"h.example\"\nusers_file = {users:?}\n\
         storage = \"azure://acct/hosted\"\ncredentials = \"team\"\n\
         home = \"azure://acct/hosted/{{user}}\"\npermissions = [\"list\", \"download\"]\n"
    );
    let s = try_resolve(dir.path(), &config).unwrap();
    let (name, host) = &s.hosts[0];
    assert_eq!(name, "h.example");
    let carol = login(host, "carol").await;
    let file = VPath::parse("/x").unwrap();
    assert!(carol.permissions.allows(&file, Permission::Download));
    assert!(!carol.permissions.allows(&file, Permission::Upload));
    let dave = login(host, "dave").await;
    assert!(dave.permissions.allows(&file, Permission::Upload));
    assert!(!Arc::ptr_eq(&carol.vfs, &dave.vfs));
    // The host's users are not the server's, nor the other way round.
    let context = AuthContext::new("127.0.0.1:1".parse().unwrap(), None);
    assert!(
        s.users
            .authenticate("carol", b"pw", &context)
            .await
            .is_err()
    );
    assert!(host.authenticate("main", b"pw", &context).await.is_err());
}
