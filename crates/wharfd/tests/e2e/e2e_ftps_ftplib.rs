//! End-to-end FTPS protocol tests with Python's `ftplib.FTP_TLS` and raw
//! (TLS) sockets.
//!
//! Like `e2e_ftplib.rs`, each test starts its own `wharfd` (user
//! `alice:secret`, a fresh temporary root) and runs one `@test` function of
//! the `tests/ftplib/wharf_e2e` package, here from its FTPS modules
//! `ftps.py` (transfers, listings, implicit FTPS, session reuse, logs) and
//! `ftps_commands.py` (AUTH/PBSZ/PROT/CCC, `--tls-required`, bad clients):
//! `python3 tests/ftplib/suite.py NAME 127.0.0.1 PORT ROOT [IMPLICIT_PORT]`.
//! Every server here has a throwaway self-signed certificate
//! (`--tls-self-signed`) and the clients skip verification; `implicit()`
//! adds an implicit FTPS listener whose port the suite gets as its fifth
//! argument. The transfers, listings, clear-text refusals and MODE B on the
//! default data port, marked `[v4 v6]`, run on `127.0.0.1` and on `[::1]`
//! (`name::v4`, `name::v6`).

use crate::support;

use support::{Server, ServerBuilder, run_suite, suite_tests};

/// The user and passwords of `ftps_password_never_logged` (they match
/// `LOG_USER`, `LOG_PASSWORD` and `WRONG_PASSWORD` in `ftps.py`).
const LOG_USER: &str = "carl";
const LOG_PASSWORD: &str = "Pw-never-in-log-4f1c9e";
const WRONG_PASSWORD: &str = "Wrong-never-in-log-7d2b";

/// The same server with three multiplexed passive ports, found free now
/// (outside the 50000-50999 default range other test servers use).
fn multiplexed(builder: ServerBuilder) -> ServerBuilder {
    let base = (20_000u16..45_000)
        .step_by(103)
        .find(|&base| {
            (base..base + 3).all(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok())
        })
        .expect("three consecutive free ports");
    let range = format!("{base}-{}", base + 2);
    builder.args(&["--passive-multiplex", "--passive-ports", &range])
}

/// A server with explicit FTPS (AUTH TLS) on its normal port.
fn tls() -> ServerBuilder {
    Server::builder().tls()
}

suite_tests! {
    strip "ftplib_";

    // Transfers and listings (ftps.py)

    /// FEAT lists AUTH TLS, PBSZ and PROT (and not CCC by default).
    ftplib_ftps_feat_lists_tls: tls();
    /// PROT P with a resuming FTP_TLS: STOR then RETR of 0 B to 1 MiB+3
    /// byte-exact (disk and wire), passive and active; every data
    /// connection is TLS and resumed the control session.
    ftplib_ftps_stor_retr_prot_p [v4 v6]: tls();
    /// The same round trips pinned to TLS 1.2 (control and data).
    ftplib_ftps_stor_retr_tls12: tls();
    /// The same round trips pinned to TLS 1.3 (control and data).
    ftplib_ftps_stor_retr_tls13: tls();
    /// NLST, MLSD and LIST under PROT P.
    ftplib_ftps_listings_prot_p [v4 v6]: tls();
    /// Implicit FTPS: login, STOR/RETR byte-exact, NLST, data protected
    /// from the start.
    ftplib_ftps_implicit_transfers [v4 v6]: tls().implicit();
    /// Implicit FTPS: a clear-text data connection gets nothing; the owner's
    /// TLS one then gets the file.
    ftplib_ftps_implicit_clear_data_gets_nothing [v4 v6]: tls().implicit();
    /// Explicit PROT P: a clear-text data connection gets nothing; the
    /// owner's TLS one then gets the file.
    ftplib_ftps_clear_data_gets_nothing_under_prot_p [v4 v6]: tls();

    // Data-channel session reuse (ftps.py)

    /// Stock `ftplib.FTP_TLS` (no resumption) gets 425 quickly for RETR and
    /// STOR under the default `--tls-reuse-required true`; nothing stored.
    ftplib_ftps_stock_ftp_tls_refused: tls();
    /// With `--tls-reuse-required false`, stock `FTP_TLS` transfers and
    /// lists byte-exact.
    ftplib_ftps_stock_ftp_tls_without_reuse: tls().args(&["--tls-reuse-required", "false"]);
    /// A data connection with another TLS session (fresh context) is refused:
    /// 425, no data; the owner's next transfer works.
    ftplib_ftps_foreign_tls_session_refused: tls();
    /// A silent connection from the client's address to the passive port
    /// does not hold up the real, resuming data connection.
    ftplib_ftps_silent_stranger_does_not_hold_up_the_transfer: tls();
    /// AUTH TLS + PBSZ 0 + PROT P + MODE B + the default data port: one TLS
    /// data connection from the server's control port minus one carries
    /// every transfer (only the control port open in the server's firewall).
    ftplib_ftps_mode_b_default_port_only_control_port [v4 v6]: tls().default_port_friendly();
    /// PROT P through multiplexed passive ports: the TLS handshake and the
    /// reuse check happen after the multiplexer's dispatch.
    ftplib_ftps_multiplexed_passive_ports: multiplexed(tls());

    // Commands and policies (ftps_commands.py)

    /// `--tls-allow-ccc`: FEAT lists CCC; CCC 200, then commands in clear.
    ftplib_ftps_ccc_allowed: tls().arg("--tls-allow-ccc");
    /// `--tls-allow-ccc`: a clear command in the same segment as the
    /// client's close_notify is answered.
    ftplib_ftps_ccc_command_behind_close_notify: tls().arg("--tls-allow-ccc");
    /// `--tls-required login`: USER before AUTH 530, PASS in clear never
    /// logs in; anonymous exempt; login over TLS works.
    ftplib_ftps_required_login: tls().args(&["--tls-required", "login", "--anonymous"]);
    /// `--tls-required data`: clear transfers 534, PROT C 534, PROT P works;
    /// anonymous exempt.
    ftplib_ftps_required_data: tls().args(&["--tls-required", "data", "--anonymous"]);
    /// `--tls-required all`: USER before AUTH 530 and PROT C 534.
    ftplib_ftps_required_all: tls().args(&["--tls-required", "all"]);

    // Bad clients (ftps_commands.py)

    /// A clear-text client on the implicit port: clean close, no crash.
    ftplib_ftps_plaintext_client_on_implicit_port: tls().implicit();
    /// Garbage instead of a ClientHello after AUTH TLS: clean close, the
    /// server goes on.
    ftplib_ftps_garbage_instead_of_client_hello: tls();
    /// Garbage instead of a ClientHello on the implicit port: clean close,
    /// the server goes on.
    ftplib_ftps_garbage_on_implicit_port: tls().implicit();
}

/// Logins as `carl` over explicit TLS, in clear and over implicit TLS, each
/// with a wrong then the right password (and a transfer): afterwards the
/// server's complete log, at `RUST_LOG=trace`, names the user but holds
/// neither password.
#[test]
fn ftplib_ftps_password_never_logged() {
    let mut server = tls()
        .implicit()
        .args(&["--user", &format!("{LOG_USER}:{LOG_PASSWORD}")])
        .env("RUST_LOG", "trace")
        .start();
    run_suite("ftps_password_never_logged", &server);
    let log = server.stop_and_log();
    assert!(
        log.contains(LOG_USER),
        "the log does not mention {LOG_USER} at all, so it proves nothing:\n{log}"
    );
    for password in [LOG_PASSWORD, WRONG_PASSWORD] {
        let lines: Vec<&str> = log.lines().filter(|l| l.contains(password)).collect();
        assert!(
            lines.is_empty(),
            "the server logged a password ({password}):\n{}",
            lines.join("\n")
        );
    }
}

/// Every `ftps_*` test `suite.py --list` names has a Rust test here and the
/// other way round (the other functions are checked in `e2e_ftplib.rs`).
#[test]
fn ftplib_ftps_suite_matches_rust_tests() {
    let in_suite: Vec<String> = support::suite_functions()
        .into_iter()
        .filter(|name| name.starts_with("ftps_"))
        .map(|name| format!("ftplib_{name}"))
        .collect();
    // The one test written out by hand below the declared ones.
    let by_hand = ["ftplib_ftps_password_never_logged"];
    let mut declared: Vec<String> = DECLARED
        .iter()
        .chain(&by_hand)
        .map(|name| (*name).to_owned())
        .collect();
    declared.sort();
    assert_eq!(
        in_suite, declared,
        "suite.py ftps_* functions and ftplib_ftps_* Rust tests differ"
    );
}
