//! The config and users files: the example parses, errors name the key.

use super::*;
use crate::values::MarkerStyle;

#[test]
fn the_example_file_parses_and_covers_every_section() {
    let config = Config::parse(include_str!("../../wharfd.example.toml")).unwrap();
    assert_eq!(config.users.len(), 3);
    let dana = &config.users[2];
    assert_eq!((dana.rules.len(), dana.mounts.len()), (2, 2));
    let rules = dana.path_rules("user[2]").unwrap().unwrap();
    let at = |p: &str| rules.at(&wharf_vfs::VPath::parse(p).unwrap());
    assert_eq!(at("/drafts/x"), wharf_session::Permissions::ALL);
    assert_eq!(at("/a").to_string(), "list, download, upload");
    assert_eq!(at("/incoming").to_string(), "upload");
    assert!(dana.mount_points("user[2]").unwrap()[0].2);
    assert_eq!(config.hosts.len(), 2);
    assert_eq!(config.credentials.len(), 2);
    assert_eq!(config.passive.overrides.len(), 1);
    assert!(config.timeouts.idle_secs.is_some());
    assert!(config.keepalive.retries.is_some());
    assert!(config.limits.max_line.is_some());
    assert_eq!(config.limits.ipv6_prefix, Some(64));
    assert_eq!(
        (
            config.limits.max_wildcard_scan,
            config.limits.max_list_depth,
            config.limits.max_list_entries
        ),
        (Some(10_000), Some(8), Some(10_000))
    );
    assert_eq!(config.limits.max_hash_size, Some(4 << 30));
    assert_eq!(config.limits.ascii_scan_limit, Some(16 << 20));
    assert_eq!(config.active.from_data_port, Some(false));
    assert_eq!(config.ban.failures, Some(10));
    assert_eq!(
        (config.access.allow.len(), config.access.deny.len()),
        (3, 1)
    );
    assert_eq!(
        (config.users[1].allow.len(), config.users[1].deny.len()),
        (1, 1)
    );
    assert_eq!(config.tls.required.as_deref(), Some("login"));
    assert_eq!(config.azure.folder_marker, Some(MarkerStyle::Placeholder));
    assert_eq!(config.azure.accounts, Some(vec!["myaccount".to_owned()]));
    assert_eq!(config.azure.allow_account_keys_in_clear, Some(false));
    assert_eq!(config.azure.allow_container_public_access, Some(false));
    assert_eq!(config.quota.limit, Some(Size::Text("10MB".into())));
    assert_eq!(config.quota.accounts.len(), 1);
    assert_eq!(config.users[0].quota, Some(Size::Text("2GiB".into())));
    assert!(config.rate.account_upload.is_some());
    assert_eq!(config.sync_uploads, Some(true));
    assert_eq!(config.sendfile, Some(AutoSwitch::Switch(true)));
    assert_eq!(config.shared_state.store.as_deref(), Some("shared"));
    assert_eq!(config.shared_state.sessions, Some(true));
}

#[test]
fn quota_and_rate_errors_name_the_key() {
    assert!(error_of("[quota]\nlimit = \"10 parsecs\"").contains("quota.limit"));
    assert!(error_of("[quota]\nperiod = \"week\"").contains("quota.period"));
    assert!(error_of("[quota]\nstore = \"gcs://x\"").contains("quota.store"));
    assert!(error_of("[quota.accounts]\nbob = \"lots\"").contains("quota.accounts.bob"));
    assert!(error_of("[rate]\nsession_download = \"fast\"").contains("rate.session_download"));
    let user = "[[user]]\nname = \"bob\"\npassword = \"x\"\nquota = \"x\"";
    assert!(error_of(user).contains("user[0].quota (bob)"));
    let ok = Config::parse("[quota]\nlimit = 1000\n[rate]\naccount_download = 4096\n").unwrap();
    assert_eq!(ok.quota.limit, Some(Size::Bytes(1000)));
}

#[test]
fn blob_upload_memory_is_a_size() {
    assert!(error_of("blob_upload_memory = \"lots\"").contains("blob_upload_memory"));
    let ok = Config::parse("blob_upload_memory = \"64MiB\"\n").unwrap();
    assert_eq!(ok.blob_upload_memory, Some(Size::Text("64MiB".into())));
}

#[test]
fn folder_markers_are_placeholder_or_slash() {
    let config = Config::parse("[azure]\nfolder_marker = \"slash\"\n").unwrap();
    assert_eq!(config.azure.folder_marker, Some(MarkerStyle::Slash));
    assert!(error_of("[azure]\nfolder_marker = \"dir\"\n").contains("folder_marker"));
}

fn error_of(text: &str) -> String {
    format!("{:#}", Config::parse(text).unwrap_err())
}

#[test]
fn errors_name_the_key() {
    assert!(
        error_of("lisen = []").contains("lisen"),
        "{}",
        error_of("lisen = []")
    );
    assert!(error_of("[passive]\nports = \"9-1\"").contains("passive.ports"));
    assert!(error_of("[limits]\nmax_sessions = \"many\"").contains("max_sessions"));
    let overrides = "[[passive.overrides]]\nnetwork = \"10.0.0.0\"\naddress = \"1.2.3.4\"";
    assert!(error_of(overrides).contains("passive.overrides[0].network"));
    let user = "[[user]]\nname = \"bob\"";
    assert!(error_of(user).contains("user[0] (bob): needs password_hash or password"));
    assert!(error_of("[timeouts]\nidle = 3").contains("idle"));
    assert!(error_of("[tls]\nrequired = \"always\"").contains("tls.required"));
    assert!(error_of("[access]\ndeny = [\"10.0.0.0/8\", \"10.1\"]").contains("access.deny[1]"));
    assert!(error_of("[access]\nallow = \"10.0.0.0/8\"").contains("allow"));
    let user = "[[user]]\nname = \"bob\"\npassword = \"x\"\nallow = [\"10.0.0.0/33\"]";
    assert!(error_of(user).contains("user[0].allow[0]"));
    assert!(error_of("[tls]\ncert = \"a.pem\"").contains("tls.cert and tls.key"));
}

#[test]
fn an_empty_file_is_all_defaults() {
    let config = Config::parse("").unwrap();
    assert!(config.listen.is_none() && config.users.is_empty() && config.hosts.is_empty());
}

#[test]
fn permission_rule_and_mount_errors_name_the_key() {
    let user = |extra: &str| format!("[[user]]\nname = \"bob\"\npassword = \"x\"\n{extra}");
    let unknown = error_of(&user("permissions = [\"write\"]"));
    assert!(
        unknown.contains("user[0].permissions: unknown permission \"write\""),
        "{unknown}"
    );
    let both = error_of(&user("writable = false\npermissions = [\"list\"]"));
    assert!(
        both.contains("give writable or permissions, not both"),
        "{both}"
    );
    let relative = error_of(&user("rules = [{ path = \"pub\", permissions = [] }]"));
    assert!(relative.contains("user[0].rules[0].path"), "{relative}");
    let at_root = error_of(&user("mounts = [{ path = \"/\", dir = \"d\" }]"));
    assert!(
        at_root.contains("user[0].mounts[0].path: cannot mount at /"),
        "{at_root}"
    );
    let twice = error_of(&user(
        "mounts = [{ path = \"/a\", dir = \"d\" }, { path = \"/a/\", dir = \"e\" }]",
    ));
    assert!(twice.contains("mounted twice"), "{twice}");
    // writable alone keeps its meaning.
    let config = Config::parse(&user("writable = false")).unwrap();
    assert_eq!(config.users[0].path_rules("user[0]").unwrap(), None);
    assert!(!config.users[0].may_write());
}

#[test]
fn azure_identity_keys_parse_and_paths_follow_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wharfd.toml");
    std::fs::write(
        &file,
        "storage = \"azure://acct\"\nstorage_ca_file = \"ca.pem\"\n[azure]\n\
         credential = \"workload-identity\"\ntenant_id = \"t\"\nclient_id = \"c\"\n\
         federated_token_file = \"token\"\nclient_secret_file = \"secret\"\n\
         authority_host = \"https://login.example\"\nmsi_endpoint = \"http://127.0.0.1:1/t\"",
    )
    .unwrap();
    let config = Config::load(&file).unwrap();
    let settings = config.azure.identity_settings();
    assert_eq!(
        settings.credential,
        Some(crate::storage::AzureCredentialKind::WorkloadIdentity)
    );
    assert_eq!(config.storage_ca_file, Some(dir.path().join("ca.pem")));
    assert_eq!(
        settings.federated_token_file,
        Some(dir.path().join("token"))
    );
    assert_eq!(settings.client_secret_file, Some(dir.path().join("secret")));
    assert_eq!(settings.tenant_id.as_deref(), Some("t"));
    let err = Config::parse("[azure]\ncredential = \"password\"")
        .unwrap_err()
        .to_string();
    assert!(err.contains("client-secret"), "{err}");
}
