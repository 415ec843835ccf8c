//! Flag over file over default: the flags laid over the file
//! (`Cli::overlay`), then `Settings::resolve`.

use std::time::Duration;

use clap::Parser;
use wharf_session::{LocalDownloads, SpliceUploads};

use super::*;
use crate::cli::Cli;
use crate::config::Overlay;

/// The file's text with the flags of `args` laid over it, resolved.
fn try_resolve(args: &[&str], file: &str) -> Result<Settings> {
    let cli = Cli::parse_from(std::iter::once("wharfd").chain(args.iter().copied()));
    let mut config = Config::parse(file).unwrap();
    config.overlay(cli.overlay());
    Settings::resolve(config, &cli.users, || Ok("otp".into()), None, None)
}

fn resolve(args: &[&str], file: &str) -> Settings {
    try_resolve(args, file).unwrap()
}

#[test]
fn flags_win_over_the_file_and_the_file_over_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("r");
    let config = format!(
        "root = {root:?}\n[limits]\nmax_sessions = 7\nmax_sessions_per_ip = 3\nmax_list_depth = 2\n[timeouts]\nidle_secs = 9\n[passive]\nports = \"40000-40010\"",
    );
    let s = resolve(
        &["--max-sessions", "11", "--passive-ports", "41000-41001"],
        &config,
    );
    assert_eq!(s.options.max_sessions, 11);
    assert_eq!(s.options.max_sessions_per_ip, 3);
    assert_eq!(s.options.max_list_depth, 2);
    assert_eq!(
        s.options.max_list_entries,
        Options::default().max_list_entries
    );
    assert_eq!(s.options.idle_timeout, Duration::from_secs(9));
    assert_eq!(s.options.passive_ports, Some(41000..=41001));
    assert_eq!(s.options.login_timeout, Options::default().login_timeout);
    assert_eq!(s.root, root);
    assert_eq!(
        resolve(&[], &format!("root = {root:?}"))
            .options
            .passive_ports,
        Some(defaults::PASSIVE_PORTS)
    );
    // No user configured: the one-time default user is announced.
    assert!(s.banner.iter().any(|l| l.contains("password: otp")));
}

#[test]
fn login_defence_from_flags_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("r");
    let config = format!(
        "root = {root:?}\n[limits]\nmax_unauthenticated_sessions = 5\nipv6_prefix = 48\n[ban]\nfailures = 4\nsecs = 30\nmax_secs = 10",
    );
    let flags = [
        "--ban-failures",
        "6",
        "--max-unauthenticated-sessions-per-ip",
        "2",
    ];
    let o = resolve(&flags, &config).options;
    let unauthenticated = (
        o.max_unauthenticated_sessions,
        o.max_unauthenticated_sessions_per_ip,
    );
    assert_eq!(unauthenticated, (5, 2));
    assert_eq!((o.ipv6_prefix, o.login_ban.max_failures), (48, 6));
    // The longest ban is never shorter than the first.
    let thirty = Duration::from_secs(30);
    assert_eq!((o.login_ban.ban, o.login_ban.max_ban), (thirty, thirty));
    assert_eq!(o.login_ban.window, Options::default().login_ban.window);
}

#[test]
fn sendfile_is_on_unless_a_flag_or_the_file_says() {
    let dir = tempfile::tempdir().unwrap();
    let root = format!("root = {:?}\n", dir.path());
    let way = |args: &[&str], file: &str| {
        resolve(args, &format!("{root}{file}"))
            .options
            .local_downloads
    };
    assert_eq!(way(&[], ""), LocalDownloads::SendFile);
    assert_eq!(way(&[], "sendfile = true"), LocalDownloads::SendFile);
    assert_eq!(way(&[], "sendfile = false"), LocalDownloads::Copy);
    assert_eq!(way(&[], "sendfile = \"off\""), LocalDownloads::Copy);
    assert_eq!(way(&[], "sendfile = \"auto\""), LocalDownloads::Auto);
    assert_eq!(
        way(&["--sendfile", "on"], "sendfile = false"),
        LocalDownloads::SendFile
    );
    assert_eq!(
        way(&["--sendfile", "auto"], "sendfile = true"),
        LocalDownloads::Auto
    );
    assert!(Config::parse("sendfile = \"sometimes\"").is_err());
}

#[test]
fn splice_uploads_is_auto_unless_a_flag_or_the_file_says() {
    let dir = tempfile::tempdir().unwrap();
    let root = format!("root = {:?}\n", dir.path());
    let way = |args: &[&str], file: &str| {
        resolve(args, &format!("{root}{file}"))
            .options
            .splice_uploads
    };
    assert_eq!(way(&[], ""), SpliceUploads::Auto);
    assert_eq!(way(&[], "splice_uploads = true"), SpliceUploads::On);
    assert_eq!(way(&[], "splice_uploads = false"), SpliceUploads::Off);
    assert_eq!(way(&[], "splice_uploads = \"auto\""), SpliceUploads::Auto);
    assert_eq!(
        way(&["--splice-uploads", "off"], "splice_uploads = \"on\""),
        SpliceUploads::Off
    );
    assert_eq!(
        way(&["--splice-uploads", "auto"], "splice_uploads = false"),
        SpliceUploads::Auto
    );
    assert!(Config::parse("splice_uploads = \"sometimes\"").is_err());
}

#[test]
fn tls_policies() {
    let dir = tempfile::tempdir().unwrap();
    let root = format!("root = {:?}", dir.path());
    let s = resolve(&["--tls-self-signed", "--tls-required", "login"], &root);
    assert!(s.tls.is_some());
    assert!(s.options.tls_policy.login && !s.options.tls_policy.data);
    assert!(s.options.tls_reuse_required);
    let s = resolve(
        &[
            "--tls-self-signed",
            "--tls-required",
            "all",
            "--tls-reuse-required",
            "false",
        ],
        &root,
    );
    assert!(s.options.tls_policy.login && s.options.tls_policy.data);
    assert!(!s.options.tls_reuse_required);
    let err = try_resolve(&["--tls-required", "data"], &root)
        .err()
        .unwrap();
    assert!(err.to_string().contains("needs a certificate"), "{err}");
}

#[test]
fn data_connection_options() {
    let dir = tempfile::tempdir().unwrap();
    let root = format!("root = {:?}", dir.path());
    let s = resolve(
        &["--passive-multiplex", "--passive-ports", "40000-40004"],
        &root,
    );
    assert!(s.options.passive_multiplex);
    assert!(s.options.default_data_port);
    let s = resolve(
        &[
            "--default-data-port",
            "off",
            "--default-data-source-port",
            "2020",
        ],
        &root,
    );
    assert!(!s.options.default_data_port);
    assert_eq!(s.options.default_data_source_port, Some(2020));
    let file = format!("{root}\n[active]\ndefault_data_port = false\n[passive]\nmultiplex = true");
    let s = resolve(&[], &file);
    assert!(!s.options.default_data_port && s.options.passive_multiplex);
}

#[test]
fn keepalive_can_be_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!("root = {:?}\n[keepalive]\nenabled = false", dir.path());
    assert!(resolve(&[], &config).options.keepalive.is_none());
}

#[test]
fn the_file_beats_the_defaults_and_a_flag_beats_the_file() {
    use wharf_session::usage::Period;
    let dir = tempfile::tempdir().unwrap();
    let root = format!("root = {:?}\n", dir.path());
    let s = resolve(&[], &root);
    assert_eq!(s.listen, [defaults::LISTEN]);
    assert_eq!((s.run_as, s.log_json), (None, false));
    assert_eq!(s.usage.period, Period::Day);
    assert_eq!(s.usage.flush_interval, Duration::from_secs(10));
    assert_eq!(s.options.passive_ports, Some(defaults::PASSIVE_PORTS));

    let file = format!(
        "{root}listen = [\"127.0.0.1:7\"]\nrun_as = \"nobody\"\nlog_json = true\n\
         [quota]\nperiod = \"month\"\nflush_secs = 3\n[passive]\nports = \"40000-40001\""
    );
    let s = resolve(&[], &file);
    assert_eq!(s.listen, ["127.0.0.1:7".parse().unwrap()]);
    assert_eq!((s.run_as.as_deref(), s.log_json), (Some("nobody"), true));
    assert_eq!(s.usage.period, Period::Month);
    assert_eq!(s.usage.flush_interval, Duration::from_secs(3));
    assert_eq!(s.options.passive_ports, Some(40000..=40001));

    let flags = [
        "--listen",
        "127.0.0.1:8",
        "--run-as",
        "daemon",
        "--quota-period",
        "day",
        "--usage-flush-secs",
        "4",
        "--passive-ports",
        "41000-41001",
    ];
    let s = resolve(&flags, &file);
    assert_eq!(s.listen, ["127.0.0.1:8".parse().unwrap()]);
    // `log_json` has no flag to turn it off: the file's stands.
    assert_eq!((s.run_as.as_deref(), s.log_json), (Some("daemon"), true));
    assert_eq!(s.usage.period, Period::Day);
    assert_eq!(s.usage.flush_interval, Duration::from_secs(4));
    assert_eq!(s.options.passive_ports, Some(41000..=41001));
}

#[test]
fn a_umask_flag_replaces_the_file_text_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let file = format!("root = {:?}\numask = \"9\"", dir.path());
    let err = try_resolve(&[], &file).err().unwrap();
    assert!(err.to_string().starts_with("umask: "), "{err}");
    assert!(try_resolve(&["--umask", "077"], &file).is_ok());
}

#[tokio::test]
async fn rates_of_the_server_a_user_and_a_host_reach_the_engine() {
    use wharf_session::{AuthContext, Authenticator};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("r");
    let config = format!(
        "root = {root:?}\n[rate]\nserver_upload = \"2MiB/s\"\n\
         [[user]]\nname = \"u\"\npassword = \"pw\"\ndownload_rate = \"1KiB/s\"\n\
         [[host]]\nname = \"h\"\nupload_rate = \"3kB\"\n\
         [[host.user]]\nname = \"v\"\npassword = \"pw\"\n",
    );
    let s = resolve(&["--server-download-rate", "5MB"], &config);
    assert_eq!(s.options.server_download_rate, 5_000_000);
    assert_eq!(s.options.server_upload_rate, 2 * 1024 * 1024);
    let context = AuthContext::new("127.0.0.1:1".parse().unwrap(), None);
    let rates = |login: &wharf_session::Login| {
        let rate = |t: &Vec<std::sync::Arc<wharf_session::Throttle>>| {
            t.iter().map(|t| t.bytes_per_second()).collect::<Vec<_>>()
        };
        (rate(&login.rate_limits.0), rate(&login.rate_limits.1))
    };
    let u = s.users.authenticate("u", b"pw", &context).await.unwrap();
    assert_eq!(rates(&u), (vec![1024], vec![]));
    let (name, host) = &s.hosts[0];
    assert_eq!(name, "h");
    let v = host.authenticate("v", b"pw", &context).await.unwrap();
    assert_eq!(rates(&v), (vec![], vec![3000]));
    // A bad rate names the table it is in.
    let bad = format!(
        "root = {root:?}\n[[user]]\nname = \"w\"\npassword = \"pw\"\nupload_rate = \"fast\"\n"
    );
    let error = try_resolve(&[], &bad).err().unwrap().to_string();
    assert!(error.contains("user w: upload_rate"), "{error}");
}

#[test]
fn access_lists_come_from_the_file_the_flags_and_the_users() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("r");
    let config = format!(
        "root = {root:?}\n[access]\ndeny = [\"192.0.2.0/24\"]\n\
         [[user]]\nname = \"bob\"\npassword = \"x\"\nallow = [\"10.9.0.0/16\"]",
    );
    let s = resolve(&["--allow-from", "10.0.0.0/8,127.0.0.1/32"], &config);
    let net = |text: &str| text.parse().unwrap();
    assert_eq!(
        s.options.access,
        wharf_session::AccessList::new()
            .allow(net("10.0.0.0/8"))
            .allow(net("127.0.0.1/32"))
            .deny(net("192.0.2.0/24"))
    );
    let users = format!("{:?}", s.users);
    let bob = "\"bob\": AccessList { allow: [IpNetwork { addr: 10.9.0.0, prefix: 16 }]";
    assert!(users.contains(bob), "{users}");
    // Nothing configured: everyone may connect.
    assert!(
        resolve(&[], &format!("root = {root:?}"))
            .options
            .access
            .is_empty()
    );
}

#[tokio::test]
async fn a_host_user_s_mounts_lie_below_the_host_root_and_carry_the_rules() {
    use wharf_session::{AuthContext, Authenticator, Permission};
    use wharf_vfs::VPath;
    let dir = tempfile::tempdir().unwrap();
    let (root, host_root) = (dir.path().join("r"), dir.path().join("h"));
    std::fs::create_dir_all(host_root.join("pub")).unwrap();
    std::fs::write(host_root.join("pub/notes.txt"), "hello").unwrap();
    let config = format!(
        "root = {root:?}\n[[host]]\nname = \"h\"\nroot = {host_root:?}\n\
         [[host.user]]\nname = \"v\"\npassword = \"pw\"\nroot = \"v\"\n\
         permissions = [\"list\"]\nrules = [{{ path = \"/pub\", permissions = [\"download\"] }}]\n\
         mounts = [{{ path = \"/pub\", dir = \"pub\", read_only = true }}]\n",
    );
    let s = resolve(&[], &config);
    let context = AuthContext::new("127.0.0.1:1".parse().unwrap(), None);
    let v = s.hosts[0]
        .1
        .authenticate("v", b"pw", &context)
        .await
        .unwrap();
    let notes = VPath::parse("/pub/notes.txt").unwrap();
    assert_eq!(v.vfs.metadata(&notes).await.unwrap().size, 5);
    assert!(v.permissions.allows(&notes, Permission::Download));
    assert!(
        !v.permissions
            .allows(&VPath::parse("/x").unwrap(), Permission::Download)
    );
    assert!(v.vfs.remove_file(&notes).await.is_err());
    assert!(host_root.join("pub/notes.txt").exists());

    // With --storage, mounts are refused as per-user roots are.
    let config = "[[user]]\nname = \"w\"\npassword = \"pw\"\n\
                  mounts = [{ path = \"/m\", dir = \"/srv\" }]\n";
    let storage: Arc<dyn Vfs> = Arc::new(wharf_vfs::MemoryFs::new());
    let refused = Settings::resolve(
        Config::parse(config).unwrap(),
        &[],
        || Ok("otp".into()),
        Some(("azure://x".into(), storage)),
        None,
    );
    let error = refused.err().unwrap().to_string();
    assert!(
        error.contains("user w: mounts need local storage"),
        "{error}"
    );
}

#[test]
fn proxy_listeners_from_the_file_and_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("r");
    let file = |proxy: &str| format!("root = {root:?}\n[proxy]\n{proxy}");
    let listeners = |args: &[&str], proxy: &str| {
        resolve(args, &file(proxy))
            .options
            .proxy_protocol
            .map(|p| p.listeners)
    };
    let all = wharf_session::ProxyListeners::default();
    assert!(all.control && all.implicit && all.passive);
    assert_eq!(listeners(&[], "trusted = [\"10.0.0.0/8\"]"), Some(all));
    let control = listeners(&[], "trusted = [\"10.0.0.0/8\"]\nlisteners = [\"control\"]").unwrap();
    assert!(control.control && !control.implicit && !control.passive);
    // The flag replaces the file's list.
    let flagged = listeners(
        &["--proxy-protocol-on", "implicit,passive"],
        "trusted = [\"10.0.0.0/8\"]\nlisteners = [\"control\"]",
    )
    .unwrap();
    assert!(!flagged.control && flagged.implicit && flagged.passive);
    for (proxy, why) in [
        (
            "trusted = [\"10.0.0.0/8\"]\nlisteners = [\"data\"]",
            "not a listener kind",
        ),
        ("trusted = [\"10.0.0.0/8\"]\nlisteners = []", "is empty"),
        ("listeners = [\"control\"]", "needs the balancers' networks"),
    ] {
        let error = try_resolve(&[], &file(proxy)).err().unwrap().to_string();
        assert!(error.contains(why), "{proxy}: {error}");
    }
}

#[test]
fn shared_state_flags_win_and_a_store_users_could_reach_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("r");
    let beside = dir.path().join("shared");
    let file = format!(
        "root = {root:?}\n[shared_state]\nstore = {beside:?}\nban_refresh_secs = 9\nsessions = false"
    );
    let s = resolve(&["--shared-ban-refresh-secs", "2"], &file);
    let plan = s.shared.expect("shared state");
    assert_eq!(format!("{}", plan.store), beside.display().to_string());
    let shown = format!("{plan:?}");
    assert!(
        shown.contains("ban_refresh: 2s") && shown.contains("sessions: false"),
        "{shown}"
    );
    assert!(resolve(&[], &format!("root = {root:?}")).shared.is_none());
    let inside = root.join("state");
    let error = try_resolve(&["--shared-state", inside.to_str().unwrap()], &file)
        .err()
        .expect("refused");
    let error = format!("{error:#}");
    assert!(
        error.contains("--shared-state") && error.contains("inside what FTP users see"),
        "{error}"
    );
}
