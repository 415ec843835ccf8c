//! Privileges and modes, tried as an attacker would (issue 17, "Privileges
//! (high)"): a server started as root gives up root after binding
//! (`--run-as`), on every thread, and keeps at most
//! `CAP_NET_BIND_SERVICE`; uploads belong to that user, never carry a
//! setuid bit over, and get the configured umask; root without `--run-as`
//! warns; crash-orphaned upload temporary files are swept at start.
//!
//! The privilege tests need root, which CI has: each creates its own
//! system user (`useradd --system --no-create-home`) and removes it when
//! done, even after a failure. Run as another user they fail, loudly,
//! unless `WHARF_TEST_NO_ROOT=1` says to skip them on purpose.

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::print_stderr)] // Tests panic and report on purpose.

pub(crate) mod harness;

use std::fs::{self, File, FileTimes};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, SystemTime};

use harness::*;

#[test]
fn run_as_gives_up_root_on_every_thread_and_uploads_belong_to_the_user() {
    if !require_root("run_as_gives_up_root_on_every_thread_and_uploads_belong_to_the_user") {
        return;
    }
    let user = TestUser::create();
    let (base, root) = root_for(&user);
    // A setuid program the user's upload is about to replace.
    let tool = root.join("tool");
    fs::write(&tool, b"vetted").unwrap();
    fs::set_permissions(&tool, fs::Permissions::from_mode(0o4755)).unwrap();
    let server = Wharfd::serving("127.0.0.1:0", &root, &["--run-as", &user.name]);
    assert!(
        server.stdout.contains(&format!("running as {}", user.name)),
        "{}",
        server.log()
    );
    assert!(!server.log().contains(WARNING), "{}", server.log());

    server.stor(base.path(), "up.txt", b"uploaded after the drop");
    let meta = fs::metadata(root.join("up.txt")).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid()),
        (user.uid, user.gid),
        "the upload belongs to the run_as user"
    );
    assert_eq!(meta.mode() & 0o7777, 0o644, "default umask 022");
    server.stor(base.path(), "tool", b"anybody's program");
    assert_eq!(fs::read(&tool).unwrap(), b"anybody's program");
    assert_eq!(
        mode_of(&tool),
        0o755,
        "STOR over a setuid file drops the bit"
    );

    // A listener on a high port and the default data port above 1024:
    // nothing needs a capability, so no thread keeps one.
    for thread in threads_of(server.pid()) {
        assert!(
            thread.uids.iter().all(|&id| id == user.uid)
                && thread.gids.iter().all(|&id| id == user.gid),
            "thread {} still has other ids: {thread:?}",
            thread.tid
        );
        assert_eq!(
            (thread.cap_prm, thread.cap_eff),
            (0, 0),
            "thread {} keeps capabilities",
            thread.tid
        );
    }
}

#[test]
fn a_root_wharfd_creates_belongs_to_the_run_as_user() {
    if !require_root("a_root_wharfd_creates_belongs_to_the_run_as_user") {
        return;
    }
    let user = TestUser::create();
    let (base, _) = root_for(&user);
    // Missing, as the quick start's ./ftp-root is on a first run: wharfd
    // creates it while still root.
    let fresh = base.path().join("fresh-root");
    let server = Wharfd::serving("127.0.0.1:0", &fresh, &["--run-as", &user.name]);
    let meta = fs::metadata(&fresh).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid()),
        (user.uid, user.gid),
        "{}",
        server.log()
    );
    server.stor(base.path(), "first.txt", b"the run_as user can write here");
    assert_eq!(
        fs::read(fresh.join("first.txt")).unwrap(),
        b"the run_as user can write here"
    );
}

/// A control port P below 1024 whose P-1 is free too (the default data
/// port), on 127.0.0.1.
fn privileged_port_pair() -> u16 {
    (600u16..1000)
        .rev()
        .find(|&p| {
            std::net::TcpListener::bind(("127.0.0.1", p)).is_ok()
                && std::net::TcpListener::bind(("127.0.0.1", p - 1)).is_ok()
        })
        .expect("a free port pair below 1024")
}

#[test]
fn run_as_keeps_only_net_bind_service_for_a_default_data_port_below_1024() {
    if !require_root("run_as_keeps_only_net_bind_service_for_a_default_data_port_below_1024") {
        return;
    }
    let user = TestUser::create();
    let (_base, root) = root_for(&user);
    let port = privileged_port_pair();
    let listen = format!("127.0.0.1:{port}");
    let server = Wharfd::serving(
        &listen,
        &root,
        &["--run-as", &format!("{}:{}", user.name, user.name)],
    );
    let threads = threads_of(server.pid());
    for thread in &threads {
        assert!(
            thread.uids.iter().all(|&id| id == user.uid)
                && thread.gids.iter().all(|&id| id == user.gid),
            "thread {}: {thread:?}",
            thread.tid
        );
        assert_eq!(
            (thread.cap_prm | thread.cap_eff) & !NET_BIND_SERVICE,
            0,
            "thread {} keeps more than CAP_NET_BIND_SERVICE: {thread:?}",
            thread.tid
        );
    }
    assert!(
        threads.iter().any(|t| t.cap_eff == NET_BIND_SERVICE),
        "the serving threads keep CAP_NET_BIND_SERVICE: {threads:?}"
    );
    // Sessions bind port-1 for each default-data-port transfer, after the
    // drop, from whichever worker thread runs them.
    let suite = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/ftplib/suite.py");
    let out = Command::new("python3")
        .arg(suite)
        .arg("default_port_retr_stor_list")
        .arg("127.0.0.1")
        .arg(port.to_string())
        .arg(&root)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("python3 must be installed");
    assert!(
        out.status.success(),
        "default data port from {} after the drop:\n{}{}\n{}",
        port - 1,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        server.log()
    );
    let stored = fs::metadata(root.join("up.bin")).unwrap();
    assert_eq!(stored.uid(), user.uid);
}

#[test]
fn root_without_run_as_warns_and_still_serves() {
    if !require_root("root_without_run_as_warns_and_still_serves") {
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("root");
    let server = Wharfd::serving("127.0.0.1:0", &root, &[]);
    assert!(server.wait_for_log(WARNING), "{}", server.log());
    assert!(
        server.wait_for_log("--run-as USER[:GROUP]"),
        "says what to set"
    );
    server.stor(base.path(), "f", b"still works");
    assert_eq!(fs::metadata(root.join("f")).unwrap().uid(), 0);
}

#[test]
fn run_as_errors_are_clear() {
    if !require_root("run_as_errors_are_clear") {
        return;
    }
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("root");
    let root = root.to_str().unwrap();
    for (run_as, says) in [
        ("no-such-user-wharf", "no user named"),
        ("root", "that is root"),
        (":x", "expected USER or USER:GROUP"),
    ] {
        let (code, stderr) = run_to_exit(&[
            "--listen",
            "127.0.0.1:0",
            "--root",
            root,
            "--run-as",
            run_as,
        ]);
        assert_eq!(code, Some(2), "--run-as {run_as}: {stderr}");
        assert!(stderr.contains(says), "--run-as {run_as}: {stderr}");
    }

    // A user in root's group would keep group 0's access as a
    // supplementary group.
    let user = TestUser::create();
    let added = Command::new("usermod")
        .args(["-a", "-G", "root", &user.name])
        .status()
        .expect("usermod (package passwd) must be installed");
    assert!(added.success(), "usermod -a -G root {}", user.name);
    let (code, stderr) = run_to_exit(&[
        "--listen",
        "127.0.0.1:0",
        "--root",
        root,
        "--run-as",
        &user.name,
    ]);
    assert_eq!(code, Some(2), "--run-as {}: {stderr}", user.name);
    assert!(stderr.contains("member of group 0"), "{stderr}");
}

/// The mode of `name` after uploading it to a server started with
/// `extra` arguments (as whoever runs the test).
fn uploaded_mode(extra: &[&str], config: Option<&str>) -> u32 {
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("root");
    let config_path = base.path().join("wharfd.toml");
    let mut args = Vec::new();
    if let Some(text) = config {
        fs::write(&config_path, text).unwrap();
        args.extend(["--config", config_path.to_str().unwrap()]);
    }
    args.extend(extra);
    let server = Wharfd::serving("127.0.0.1:0", &root, &args);
    server.stor(base.path(), "f", b"mode check");
    mode_of(&root.join("f"))
}

#[test]
fn uploads_get_the_configured_umask() {
    assert_eq!(uploaded_mode(&[], None), 0o644, "default umask 022");
    assert_eq!(uploaded_mode(&["--umask", "077"], None), 0o600);
    assert_eq!(uploaded_mode(&[], Some("umask = \"027\"\n")), 0o640);
    assert_eq!(
        uploaded_mode(&["--umask", "002"], Some("umask = \"077\"\n")),
        0o664,
        "the flag wins"
    );
}

#[test]
fn bad_umasks_are_refused_at_start() {
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("root");
    let root = root.to_str().unwrap();
    for bad in ["8", "1000", "0x12", "rw-"] {
        let (code, stderr) = run_to_exit(&["--root", root, "--umask", bad]);
        assert_eq!(code, Some(2), "--umask {bad}: {stderr}");
        assert!(stderr.contains("umask"), "--umask {bad}: {stderr}");
    }
    let config = base.path().join("wharfd.toml");
    for (text, says) in [
        ("umask = \"9\"\n", "not octal"),
        ("umask = \"1777\"\n", "above 777"),
        ("umask = 18\n", "umask"),
    ] {
        fs::write(&config, text).unwrap();
        let (code, stderr) = run_to_exit(&["--root", root, "--config", config.to_str().unwrap()]);
        assert_eq!(code, Some(2), "{text}: {stderr}");
        assert!(stderr.contains(says), "{text}: {stderr}");
    }
}

#[test]
fn start_sweeps_upload_files_a_crash_left() {
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("root");
    fs::create_dir_all(root.join("sub")).unwrap();
    let old = root.join("sub/.wharf-upload-00000000deadbeef");
    let young = root.join(".wharf-upload-00000000cafebabe");
    for path in [&old, &young] {
        fs::write(path, b"half an upload").unwrap();
    }
    let two_hours_ago = SystemTime::now() - Duration::from_secs(2 * 3600);
    File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_times(FileTimes::new().set_modified(two_hours_ago))
        .unwrap();
    let server = Wharfd::serving("127.0.0.1:0", &root, &[]);
    assert!(
        server.wait_for_log("swept orphaned upload temporary files removed=1 kept_young=1"),
        "{}",
        server.log()
    );
    assert!(!old.exists(), "the orphan of an old crash is gone");
    assert!(
        young.exists(),
        "a recent one may be a live upload elsewhere"
    );
}
