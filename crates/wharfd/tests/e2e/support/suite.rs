//! The Python protocol suite (`tests/ftplib/suite.py`): run one of its
//! functions against a [`Server`], or list them all.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::process::{require_tool, run};
use super::server::Server;

/// Longest a single suite function may run (its own timeouts are shorter).
const SUITE_TIMEOUT: Duration = Duration::from_secs(25);

/// `tests/ftplib/suite.py`.
pub(crate) fn suite_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/ftplib/suite.py")
}

/// Runs `suite.py <function> 127.0.0.1 PORT ROOT [IMPLICIT_PORT]` against
/// `server` (the implicit FTPS port only when it has one) and panics with
/// its output (and the server's log) unless it exits 0.
pub(crate) fn run_suite(function: &str, server: &Server) {
    require_tool("python3", "python3");
    let root = server.root().to_str().expect("temporary paths are UTF-8");
    let mut command = Command::new("python3");
    command
        .arg(suite_path())
        .arg(function)
        .arg("127.0.0.1")
        .arg(server.port().to_string())
        .arg(root)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONIOENCODING", "utf-8");
    if let Some(port) = server.implicit_port() {
        command.arg(port.to_string());
    }
    let finished = run(&mut command, SUITE_TIMEOUT);
    assert!(
        finished.status.success(),
        "ftplib test `{function}` failed\n{}\n--- wharfd stderr (tail) ---\n{}",
        finished.report(),
        server.log_tail()
    );
}

/// The names `suite.py --list` prints, sorted.
pub(crate) fn suite_functions() -> Vec<String> {
    require_tool("python3", "python3");
    let finished = run(
        Command::new("python3")
            .arg(suite_path())
            .arg("--list")
            .env("PYTHONDONTWRITEBYTECODE", "1"),
        Duration::from_secs(20),
    );
    assert!(
        finished.status.success(),
        "suite.py --list failed\n{}",
        finished.report()
    );
    let mut names: Vec<String> = finished.stdout_text().lines().map(str::to_owned).collect();
    names.sort();
    names
}

/// Declares one `#[test]` per suite function: it starts a server from the
/// given builder and runs `suite.py` with the test's name less `strip`
/// (`"ftplib_"`, or `""` where the names are the functions'). Also collects
/// the names into `DECLARED`, which each suite's own test compares with
/// `suite.py --list`.
macro_rules! suite_tests {
    (strip $strip:literal; $( $(#[doc = $doc:literal])* $name:ident : $builder:expr ; )*) => {
        $(
            $(#[doc = $doc])*
            #[test]
            fn $name() {
                let builder: $crate::support::ServerBuilder = $builder;
                let server = builder.start();
                let function = stringify!($name)
                    .strip_prefix($strip)
                    .expect("test names start with the stripped prefix");
                $crate::support::run_suite(function, &server);
            }
        )*

        /// Every test declared above.
        const DECLARED: &[&str] = &[$(stringify!($name)),*];
    };
}
pub(crate) use suite_tests;
