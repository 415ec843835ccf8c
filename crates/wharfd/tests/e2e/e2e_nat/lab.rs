//! A lab of named network namespaces joined by veth pairs, with routes,
//! sysctls and nftables rulesets, and the processes started in them; all
//! of it removed when the [`Lab`] is dropped, on a panic too.
//!
//! Names are unique per test (`wn<pid>x<counter>-<role>`), so parallel
//! tests never share a namespace. Links run only between a lab's own
//! namespaces, never into the host's, so every interface name and address
//! lives inside namespaces no other test sees: two labs may use the same
//! private ranges without meeting. Each `ip`/`nft` call is bounded by
//! [`STEP_TIMEOUT`].

use crate::support::{Finished, require_tool, run};

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Longest one `ip` or `nft` call may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// Labs made by this test process so far, for unique names.
static LABS: AtomicUsize = AtomicUsize::new(0);

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

/// A fresh lab for `test`, or `None` when the test is skipped on purpose:
/// as any user but root it fails unless `WHARF_TEST_NO_ROOT=1` (the
/// convention of `e2e_netns.rs`); as root a missing `ip`, `nft` or
/// `python3` fails it.
// Saying a test was skipped on purpose is what stderr is for in a test.
#[allow(clippy::print_stderr)]
pub(crate) fn lab(test: &str) -> Option<Lab> {
    if !is_root() {
        assert!(
            std::env::var("WHARF_TEST_NO_ROOT").as_deref() == Ok("1"),
            "{test} needs root for network namespaces and nftables (CI runs as root); \
             run as root, or set WHARF_TEST_NO_ROOT=1 to skip it on purpose"
        );
        eprintln!("{test}: SKIPPED on purpose (WHARF_TEST_NO_ROOT=1): needs root");
        return None;
    }
    require_tool("ip", "iproute2");
    // `nft --version` exits 0 without touching the kernel.
    require_tool("nft", "nftables");
    require_tool("python3", "python3");
    let id = format!(
        "wn{}x{}",
        std::process::id(),
        LABS.fetch_add(1, Ordering::Relaxed)
    );
    Some(Lab {
        id,
        namespaces: Vec::new(),
        processes: Vec::new(),
        dir: tempfile::tempdir().expect("create a temporary directory"),
    })
}

/// One side of a veth pair: the namespace, the interface's name there and
/// its address with prefix (`10.25.1.2/24`).
pub(crate) type End<'a> = (&'a str, &'a str, &'a str);

/// Namespaces, and processes running in them, owned by one test.
pub(crate) struct Lab {
    id: String,
    namespaces: Vec<String>,
    processes: Vec<Child>,
    dir: tempfile::TempDir,
}

impl Lab {
    /// A temporary directory that lives as long as the lab.
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A new namespace for `role` (`server`, `router`, …) with loopback up;
    /// returns its name.
    pub(crate) fn namespace(&mut self, role: &str) -> String {
        let name = format!("{}-{role}", self.id);
        ip(&["netns", "add", &name]);
        self.namespaces.push(name.clone());
        ip(&["-n", &name, "link", "set", "lo", "up"]);
        name
    }

    /// A veth pair from `a` to `b`, each end addressed and up. Both ends
    /// are created inside their namespaces, never in the host's.
    pub(crate) fn link(&self, a: End<'_>, b: End<'_>) {
        ip(&[
            "link", "add", a.1, "netns", a.0, "type", "veth", "peer", "name", b.1, "netns", b.0,
        ]);
        for (ns, name, address) in [a, b] {
            if !address.is_empty() {
                ip(&["-n", ns, "addr", "add", address, "dev", name]);
            }
            ip(&["-n", ns, "link", "set", name, "up"]);
        }
    }

    /// Runs `ip -n NS ARGS…`, asserting it succeeds.
    pub(crate) fn ip(&self, ns: &str, args: &[&str]) {
        ip(&[&["-n", ns], args].concat());
    }

    /// A default route in `ns` via `gateway`.
    pub(crate) fn default_route(&self, ns: &str, gateway: &str) {
        self.ip(ns, &["route", "add", "default", "via", gateway]);
    }

    /// Turns on IPv4 forwarding in `ns` (a per-namespace setting).
    pub(crate) fn forwarding(&self, ns: &str) {
        self.exec(ns, &["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
    }

    /// Loads the nftables `ruleset` in `ns` (`nft -f`), asserting nft takes it.
    pub(crate) fn nft(&self, ns: &str, ruleset: &str) {
        let file = self.dir().join(format!("{ns}.nft"));
        fs::write(&file, ruleset).expect("write the ruleset");
        let path = file.to_str().expect("temporary paths are UTF-8");
        self.exec(ns, &["nft", "-f", path]);
    }

    /// `ip netns exec NS PROGRAM…` as a command to add arguments and
    /// environment to.
    pub(crate) fn command(&self, ns: &str, program: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", ns, program]);
        command
    }

    /// Runs `args` in `ns`, asserting it succeeds.
    pub(crate) fn exec(&self, ns: &str, args: &[&str]) -> Finished {
        let (program, rest) = args.split_first().expect("a program to run");
        let finished = run(self.command(ns, program).args(rest), STEP_TIMEOUT);
        assert!(
            finished.status.success(),
            "{args:?} in {ns} failed\n{}",
            finished.report()
        );
        finished
    }

    /// Starts `command` (from [`Lab::command`]) with its stdout and stderr
    /// in files of the lab's directory named after `name`; the lab kills it
    /// when dropped. Returns the paths of the two files.
    pub(crate) fn spawn(&mut self, name: &str, mut command: Command) -> (PathBuf, PathBuf) {
        let out = self.dir().join(format!("{name}.out"));
        let err = self.dir().join(format!("{name}.err"));
        let child = command
            .stdin(Stdio::null())
            .stdout(fs::File::create(&out).expect("create the stdout file"))
            .stderr(fs::File::create(&err).expect("create the stderr file"))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        self.processes.push(child);
        (out, err)
    }

    /// Whether the last process [`Lab::spawn`] started has exited.
    pub(crate) fn last_exited(&mut self) -> bool {
        self.processes
            .last_mut()
            .is_some_and(|child| !matches!(child.try_wait(), Ok(None)))
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // `ip netns exec` execs the program, so the child is the process
        // itself; a namespace lives on while a process is in it.
        for child in &mut self.processes {
            let _ = child.kill();
            let _ = child.wait();
        }
        // Deleting a namespace removes the veth ends in it, and with them
        // their peers.
        for ns in self.namespaces.iter().rev() {
            let _ = Command::new("ip")
                .args(["netns", "delete", ns])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Runs the host's `ip ARGS…`, asserting it succeeds.
fn ip(args: &[&str]) {
    let finished = run(Command::new("ip").args(args), STEP_TIMEOUT);
    assert!(
        finished.status.success(),
        "ip {} failed\n{}",
        args.join(" "),
        finished.report()
    );
}
