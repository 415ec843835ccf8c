//! The Python protocol suite (`tests/ftplib/suite.py`): run one of its
//! functions against a [`Server`], or list them all.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::family::Family;
use super::process::{require_tool, run};
use super::server::Server;
use super::server_builder::ServerBuilder;

/// Longest a single suite function may run (its own timeouts are shorter).
const SUITE_TIMEOUT: Duration = Duration::from_secs(25);

/// `tests/ftplib/suite.py`.
pub(crate) fn suite_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/ftplib/suite.py")
}

/// Runs `suite.py <function> HOST PORT ROOT [IMPLICIT_PORT]` against
/// `server` (HOST is `127.0.0.1` or `::1`, the server's family; the
/// implicit FTPS port only when it has one) and panics with its output
/// (and the server's log) unless it exits 0.
pub(crate) fn run_suite(function: &str, server: &Server) {
    require_tool("python3", "python3");
    let root = server.root().to_str().expect("temporary paths are UTF-8");
    let mut command = Command::new("python3");
    command
        .arg(suite_path())
        .arg(function)
        .arg(server.family().host())
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

/// Starts a server from `builder` on `family` and runs the suite function
/// `name` less `strip` against it: the body of every `suite_tests!` test.
pub(crate) fn run_suite_test(strip: &str, name: &str, builder: ServerBuilder, family: Family) {
    let server = builder.family(family).start();
    let function = name
        .strip_prefix(strip)
        .expect("test names start with the stripped prefix");
    run_suite(function, &server);
}

/// Declares one `#[test]` per suite function: it starts a server from the
/// given builder and runs `suite.py` with the test's name less `strip`
/// (`"ftplib_"`, or `""` where the names are the functions'). A name
/// followed by address families (`name [v4 v6]: builder;`) becomes a
/// module with one test per family (`name::v4`, `name::v6`: the server
/// and the Python client on `127.0.0.1`, then on `::1`); a name alone
/// runs on IPv4 only. Also collects the names into `DECLARED`, which each
/// suite's own test compares with `suite.py --list`.
macro_rules! suite_tests {
    (strip $strip:literal; $(
        $(#[doc = $doc:literal])* $name:ident $([$($family:ident)+])? : $builder:expr ;
    )*) => {
        $(
            $crate::support::suite_test!(
                $strip; $(#[doc = $doc])* $name $([$($family)+])? : $builder
            );
        )*

        /// Every test declared above.
        const DECLARED: &[&str] = &[$(stringify!($name)),*];
    };
}
pub(crate) use suite_tests;

/// One test of [`suite_tests!`]: a function on IPv4, or a module of one
/// function per family.
macro_rules! suite_test {
    ($strip:literal; $(#[doc = $doc:literal])* $name:ident : $builder:expr) => {
        $(#[doc = $doc])*
        #[test]
        fn $name() {
            $crate::support::run_suite_test(
                $strip,
                stringify!($name),
                $builder,
                $crate::support::Family::V4,
            );
        }
    };
    ($strip:literal; $(#[doc = $doc:literal])* $name:ident [$($family:ident)+] : $builder:expr) => {
        $(#[doc = $doc])*
        mod $name {
            use super::*;

            $(
                #[test]
                fn $family() {
                    $crate::support::run_suite_test(
                        $strip,
                        stringify!($name),
                        $builder,
                        $crate::support::Family::named(stringify!($family)),
                    );
                }
            )+
        }
    };
}
pub(crate) use suite_test;
