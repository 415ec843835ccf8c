//! External commands (curl, lftp, python3): [`run`] runs one with a hard
//! timeout and collects its output; [`require_tool`] fails a test clearly
//! when a client is missing.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// What a finished external command printed.
pub(crate) struct Finished {
    /// Its exit status.
    pub(crate) status: ExitStatus,
    /// Everything it wrote to stdout.
    pub(crate) stdout: Vec<u8>,
    /// Everything it wrote to stderr.
    pub(crate) stderr: Vec<u8>,
}

impl Finished {
    /// stdout as text (lossy).
    pub(crate) fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// stderr as text (lossy).
    pub(crate) fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// A report of the command's output, for failure messages.
    pub(crate) fn report(&self) -> String {
        format!(
            "exit: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status,
            tail(&self.stdout_text(), 12 * 1024),
            tail(&self.stderr_text(), 12 * 1024),
        )
    }
}

/// The last `max` bytes of `text` (cut on a character boundary).
fn tail(text: &str, max: usize) -> &str {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// Panics with a clear message when `program` cannot be run at all.
///
/// The end-to-end tests never pass silently without their client: a missing
/// client is a failed test. `scripts/test` installs them.
pub(crate) fn require_tool(program: &str, package: &str) {
    let found = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if let Err(e) = found {
        panic!(
            "`{program}` is not installed or cannot run ({e}); the end-to-end tests need it: \
             install it (apt-get install -y {package}); scripts/test does this"
        );
    }
}

/// Runs `command` to completion with no stdin; kills it and panics when it
/// takes longer than `timeout`.
pub(crate) fn run(command: &mut Command, timeout: Duration) -> Finished {
    let description = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {description}: {e}"));
    let stdout = read_in_background(child.stdout.take().expect("piped stdout"));
    let stderr = read_in_background(child.stderr.take().expect("piped stderr"));

    let status = wait_for_exit(&mut child, timeout);
    if status.is_none() {
        let _ = child.kill();
        let _ = wait_for_exit(&mut child, Duration::from_secs(5));
    }
    // The pipes close when the process ends; a grandchild holding them is
    // not waited for longer than this.
    let collect =
        |rx: mpsc::Receiver<Vec<u8>>| rx.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
    let stdout = collect(stdout);
    let stderr = collect(stderr);
    match status {
        Some(status) => Finished {
            status,
            stdout,
            stderr,
        },
        None => panic!(
            "{description} did not finish within {timeout:?} and was killed\n--- stdout ---\n{}\n--- stderr ---\n{}",
            tail(&String::from_utf8_lossy(&stdout), 12 * 1024),
            tail(&String::from_utf8_lossy(&stderr), 12 * 1024),
        ),
    }
}

fn read_in_background(mut from: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut all = Vec::new();
        let _ = from.read_to_end(&mut all);
        let _ = tx.send(all);
    });
    rx
}

/// Waits at most `timeout` for `child` to exit.
pub(super) fn wait_for_exit(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
            _ => return None,
        }
    }
}
