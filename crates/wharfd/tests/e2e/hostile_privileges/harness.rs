//! What the privilege tests share: a system user made for one test, a
//! wharfd process, the credentials of every thread of a process.
#![allow(dead_code)]

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::{MetadataExt, PermissionsExt, chown};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub(crate) const USER: &str = "alice";
pub(crate) const PASSWORD: &str = "secret";
/// `CAP_NET_BIND_SERVICE` as a bit of `/proc/.../status` `CapEff`.
pub(crate) const NET_BIND_SERVICE: u64 = 1 << 10;
pub(crate) const WARNING: &str = "running as root without run_as";

/// Whether the privilege tests can run: as root yes; otherwise they fail,
/// unless `WHARF_TEST_NO_ROOT=1` asks to skip them.
pub(crate) fn require_root(test: &str) -> bool {
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
pub(crate) struct TestUser {
    pub(crate) name: String,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
}

impl TestUser {
    pub(crate) fn create() -> Self {
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

pub(crate) fn id_of(name: &str, flag: &str) -> u32 {
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
pub(crate) struct Wharfd {
    pub(crate) child: Child,
    pub(crate) port: u16,
    pub(crate) stdout: String,
    pub(crate) stderr: Arc<Mutex<String>>,
}

impl Wharfd {
    /// Starts wharfd with `args` and waits for its `listening on` line.
    pub(crate) fn start(args: &[&str]) -> Self {
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

    /// Starts wharfd on `listen` serving `root` to USER, with no delay
    /// after a failed login, plus `extra` arguments.
    pub(crate) fn serving(listen: &str, root: &Path, extra: &[&str]) -> Self {
        let login = format!("{USER}:{PASSWORD}");
        let mut args = vec![
            "--listen",
            listen,
            "--root",
            root.to_str().unwrap(),
            "--user",
            &login,
            "--failed-login-delay-ms",
            "0",
        ];
        args.extend(extra);
        Self::start(&args)
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn log(&self) -> String {
        format!(
            "--- stdout ---\n{}--- stderr ---\n{}",
            self.stdout,
            self.stderr.lock().unwrap()
        )
    }

    /// Waits up to 5 s for `text` in the server's stderr.
    pub(crate) fn wait_for_log(&self, text: &str) -> bool {
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
    pub(crate) fn stor(&self, dir: &Path, name: &str, data: &[u8]) {
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
pub(crate) fn run_to_exit(args: &[&str]) -> (Option<i32>, String) {
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
pub(crate) struct ThreadCreds {
    pub(crate) tid: String,
    pub(crate) uids: Vec<u32>,
    pub(crate) gids: Vec<u32>,
    pub(crate) cap_prm: u64,
    pub(crate) cap_eff: u64,
}

pub(crate) fn threads_of(pid: u32) -> Vec<ThreadCreds> {
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
pub(crate) fn root_for(user: &TestUser) -> (tempfile::TempDir, PathBuf) {
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

pub(crate) fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().mode() & 0o7777
}
