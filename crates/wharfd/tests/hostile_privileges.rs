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

use std::fs::{self, File, FileTimes};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::{MetadataExt, PermissionsExt, chown};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

const USER: &str = "alice";
const PASSWORD: &str = "secret";
/// `CAP_NET_BIND_SERVICE` as a bit of `/proc/.../status` `CapEff`.
const NET_BIND_SERVICE: u64 = 1 << 10;
const WARNING: &str = "running as root without run_as";

/// Whether the privilege tests can run: as root yes; otherwise they fail,
/// unless `WHARF_TEST_NO_ROOT=1` asks to skip them.
fn require_root(test: &str) -> bool {
    let uid = fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|v| v.split_whitespace().nth(1).map(str::to_owned))
        })
        .unwrap_or_default();
    if uid == "0" {
        return true;
    }
    if std::env::var("WHARF_TEST_NO_ROOT").as_deref() == Ok("1") {
        eprintln!("{test}: SKIPPED on purpose (WHARF_TEST_NO_ROOT=1): needs root");
        return false;
    }
    panic!(
        "{test} needs root (it creates a user and starts wharfd as root; CI runs as root). \
         Run as root, or set WHARF_TEST_NO_ROOT=1 to skip it on purpose."
    );
}

/// A system user made for one test; removed (with its group) on drop.
struct TestUser {
    name: String,
    uid: u32,
    gid: u32,
}

impl TestUser {
    fn create() -> Self {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "wharft{}x{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        let status = Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
            ])
            .arg(&name)
            .status()
            .expect("useradd (package passwd) must be installed");
        assert!(status.success(), "useradd {name} failed: {status}");
        // From here on the user is removed even if a lookup fails.
        let mut user = Self {
            name,
            uid: 0,
            gid: 0,
        };
        user.uid = id_of(&user.name, "-u");
        user.gid = id_of(&user.name, "-g");
        assert!(user.uid != 0 && user.gid != 0, "a system user is not root");
        user
    }
}

fn id_of(name: &str, flag: &str) -> u32 {
    let out = Command::new("id").arg(flag).arg(name).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

impl Drop for TestUser {
    fn drop(&mut self) {
        // The server may still be exiting: userdel refuses a busy user.
        for _ in 0..50 {
            let done = Command::new("userdel")
                .arg(&self.name)
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if done {
                break;
            }
            thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("groupdel")
            .arg(&self.name)
            .stderr(Stdio::null())
            .status();
    }
}

/// A wharfd process; killed and reaped on drop.
struct Wharfd {
    child: Child,
    port: u16,
    stdout: String,
    stderr: Arc<Mutex<String>>,
}

impl Wharfd {
    /// Starts wharfd with `args` and waits for its `listening on` line.
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wharfd"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("NO_COLOR", "1")
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut server = Self {
            child,
            port: 0,
            stdout: String::new(),
            stderr,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    server.stdout.push_str(&line);
                    server.stdout.push('\n');
                    if let Some(addr) = line.strip_prefix("wharfd: listening on ftp://") {
                        server.port = addr.rsplit(':').next().unwrap().parse().unwrap();
                        // Keep draining stdout so the server never blocks.
                        thread::spawn(move || while rx.recv().is_ok() {});
                        return server;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Ok(Some(status)) = server.child.try_wait() {
                        panic!(
                            "wharfd exited ({status}) before listening:\n{}",
                            server.log()
                        );
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    thread::sleep(Duration::from_millis(200));
                    panic!("wharfd closed stdout before listening:\n{}", server.log());
                }
            }
        }
        panic!("wharfd did not listen within 20 s:\n{}", server.log());
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn log(&self) -> String {
        format!(
            "--- stdout ---\n{}--- stderr ---\n{}",
            self.stdout,
            self.stderr.lock().unwrap()
        )
    }

    /// Waits up to 5 s for `text` in the server's stderr.
    fn wait_for_log(&self, text: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if self.stderr.lock().unwrap().contains(text) {
                return true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Uploads `data` as `name` with curl (STOR over EPSV).
    fn stor(&self, dir: &Path, name: &str, data: &[u8]) {
        let local = dir.join(format!("local-{name}"));
        fs::write(&local, data).unwrap();
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "20", "-T"])
            .arg(&local)
            .arg(format!(
                "ftp://{USER}:{PASSWORD}@127.0.0.1:{}/{name}",
                self.port
            ))
            .output()
            .expect("curl must be installed");
        assert!(
            out.status.success(),
            "curl STOR {name}: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
    }
}

impl Drop for Wharfd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if thread::panicking() {
            eprintln!("{}", self.log());
        }
    }
}

/// Runs wharfd to its end with `args`; returns its exit code and stderr.
fn run_to_exit(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wharfd"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One thread's ids and capabilities from `/proc/PID/task/TID/status`.
#[derive(Debug)]
struct ThreadCreds {
    tid: String,
    uids: Vec<u32>,
    gids: Vec<u32>,
    cap_prm: u64,
    cap_eff: u64,
}

fn threads_of(pid: u32) -> Vec<ThreadCreds> {
    let mut all = Vec::new();
    for task in fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let task = task.unwrap();
        let Ok(status) = fs::read_to_string(task.path().join("status")) else {
            continue;
        };
        let field = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .unwrap()
                .trim()
                .to_owned()
        };
        let ids = |key: &str| -> Vec<u32> {
            field(key)
                .split_whitespace()
                .map(|n| n.parse().unwrap())
                .collect()
        };
        all.push(ThreadCreds {
            tid: task.file_name().to_string_lossy().into_owned(),
            uids: ids("Uid:"),
            gids: ids("Gid:"),
            cap_prm: u64::from_str_radix(&field("CapPrm:"), 16).unwrap(),
            cap_eff: u64::from_str_radix(&field("CapEff:"), 16).unwrap(),
        });
    }
    assert!(all.len() > 1, "wharfd runs several threads: {all:?}");
    all
}

/// A temporary base directory with `root` inside, both owned by `user`.
fn root_for(user: &TestUser) -> (tempfile::TempDir, PathBuf) {
    let base = tempfile::Builder::new()
        .prefix("wharfd-priv-")
        .tempdir()
        .unwrap();
    let root = base.path().join("root");
    fs::create_dir(&root).unwrap();
    for dir in [base.path(), root.as_path()] {
        chown(dir, Some(user.uid), Some(user.gid)).unwrap();
        fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).unwrap();
    }
    (base, root)
}

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().mode() & 0o7777
}

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
    let login = format!("{USER}:{PASSWORD}");
    let server = Wharfd::start(&[
        "--listen",
        "127.0.0.1:0",
        "--root",
        root.to_str().unwrap(),
        "--user",
        &login,
        "--failed-login-delay-ms",
        "0",
        "--run-as",
        &user.name,
    ]);
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
    let login = format!("{USER}:{PASSWORD}");
    let server = Wharfd::start(&[
        "--listen",
        "127.0.0.1:0",
        "--root",
        fresh.to_str().unwrap(),
        "--user",
        &login,
        "--failed-login-delay-ms",
        "0",
        "--run-as",
        &user.name,
    ]);
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
    let login = format!("{USER}:{PASSWORD}");
    let server = Wharfd::start(&[
        "--listen",
        &listen,
        "--root",
        root.to_str().unwrap(),
        "--user",
        &login,
        "--failed-login-delay-ms",
        "0",
        "--run-as",
        &format!("{}:{}", user.name, user.name),
    ]);
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
    let login = format!("{USER}:{PASSWORD}");
    let server = Wharfd::start(&[
        "--listen",
        "127.0.0.1:0",
        "--root",
        root.to_str().unwrap(),
        "--user",
        &login,
    ]);
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
    let login = format!("{USER}:{PASSWORD}");
    let config_path = base.path().join("wharfd.toml");
    let mut args = vec![
        "--listen",
        "127.0.0.1:0",
        "--root",
        root.to_str().unwrap(),
        "--user",
        &login,
    ];
    if let Some(text) = config {
        fs::write(&config_path, text).unwrap();
        args.extend(["--config", config_path.to_str().unwrap()]);
    }
    args.extend(extra);
    let server = Wharfd::start(&args);
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
    let login = format!("{USER}:{PASSWORD}");
    let server = Wharfd::start(&[
        "--listen",
        "127.0.0.1:0",
        "--root",
        root.to_str().unwrap(),
        "--user",
        &login,
    ]);
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
