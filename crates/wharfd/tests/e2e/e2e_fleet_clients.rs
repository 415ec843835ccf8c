//! lftp and Python's ftplib through the HAProxy fleet of `e2e_fleet.rs`
//! (three nodes, `send-proxy-v2` on control and on each node's passive
//! range): PASV and EPSV, plain and explicit FTPS, every client on its own
//! source address (lftp `net:socket-bind-ipv4`, ftplib `source_address`,
//! both also for their data connections, which the nodes check against
//! the client the PROXY header names). What one client uploads, the other
//! sessions, landing on the other nodes by round robin, download
//! byte-exact; each node's log shows the clients, never HAProxy.

use crate::support;
use crate::support::fleet::{Fleet, Place};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::{Finished, require_tool, run};

/// How a session reaches its data connection, and whether it is FTPS.
#[derive(Clone, Copy, Debug)]
enum Mode {
    Pasv,
    Epsv,
}

#[derive(Clone, Copy, Debug)]
enum Tls {
    Plain,
    Ftps,
}

/// An lftp run as `fleet` from `from`, and its protocol log.
fn lftp_from(
    fleet: &Fleet,
    from: &str,
    mode: Mode,
    tls: Tls,
    commands: &str,
) -> (Finished, String) {
    require_tool("lftp", "lftp");
    let home = tempfile::tempdir().expect("a home for lftp");
    let log = home.path().join("protocol.log");
    let epsv = match mode {
        Mode::Pasv => "no",
        Mode::Epsv => "yes",
    };
    let tls = match tls {
        Tls::Plain => "set ftp:ssl-allow no",
        Tls::Ftps => {
            "set ftp:ssl-force yes; set ftp:ssl-protect-data yes; \
             set ssl:verify-certificate no"
        }
    };
    let script = format!(
        "debug -o \"{log}\" 5; set net:socket-bind-ipv4 {from}; set ftp:passive-mode on; \
         set ftp:prefer-epsv {epsv}; {tls}; set net:max-retries 1; set net:timeout 15; \
         open -u fleet,pw {url}; {commands}; quit",
        log = log.display(),
        url = fleet.url,
    );
    let finished = run(
        Command::new("lftp")
            .arg("--norc")
            .arg("-c")
            .arg(&script)
            .env("HOME", home.path())
            .env("LC_ALL", "C.UTF-8")
            .env_remove("LFTP_HOME")
            .env_remove("ftp_proxy")
            .env_remove("FTP_PROXY"),
        Duration::from_secs(25),
    );
    let protocol = std::fs::read(&log)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    (finished, protocol)
}

/// Asserts lftp ran and sent `verb` (PASV or EPSV, and under FTPS
/// `PROT P`), with its log on failure.
fn assert_lftp(run: &(Finished, String), mode: Mode, tls: Tls) {
    let (finished, protocol) = run;
    let report = || format!("{}\n--- lftp ---\n{protocol}", finished.report());
    assert!(finished.status.success(), "{}", report());
    let sent = |command: &str| protocol.contains(&format!("---> {command}"));
    let verb = match mode {
        Mode::Pasv => "PASV",
        Mode::Epsv => "EPSV",
    };
    assert!(sent(verb), "lftp did not use {verb}\n{}", report());
    assert_eq!(
        sent("PROT P"),
        matches!(tls, Tls::Ftps),
        "PROT P for {tls:?}\n{}",
        report()
    );
}

/// ftplib sessions (`tests/ftplib/fleet_client.py`), one after another,
/// each `(from, mode, tls, action, name, file)`.
fn ftplib_sessions(fleet: &Fleet, sessions: &[(&str, Mode, Tls, &str, &str, &Path)]) {
    require_tool("python3", "python3");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ftplib/fleet_client.py");
    let port = fleet.url.rsplit(':').next().expect("the VIP's port");
    let specs: Vec<String> = sessions
        .iter()
        .map(|(from, mode, tls, action, name, file)| {
            let mode = format!("{mode:?}").to_lowercase();
            let tls = format!("{tls:?}").to_lowercase();
            format!("{from},{mode},{tls},{action},{name},{}", file.display())
        })
        .collect();
    let finished = run(
        Command::new("python3")
            .arg(&script)
            .args(["127.0.0.1", port, "fleet", "pw"])
            .args(&specs),
        Duration::from_secs(60),
    );
    assert!(finished.status.success(), "{}", finished.report());
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn lftp_and_ftplib_through_the_balancer_pasv_and_epsv_plain_and_ftps() {
    let place = Place {
        first_ip: 31,
        first_port: 29300,
    };
    let fleet = Fleet::start(place, &[]);
    let dir = fleet.dir.path().to_owned();
    let file = |name: &str| -> PathBuf { dir.join(name) };
    let body: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(file("lftp-up.bin"), &body).expect("a file");

    // lftp uploads over explicit FTPS and EPSV; lftp sessions in the other
    // three forms download it.
    let up = lftp_from(
        &fleet,
        "127.0.1.40",
        Mode::Epsv,
        Tls::Ftps,
        &format!("put {} -o lftp.bin", file("lftp-up.bin").display()),
    );
    assert_lftp(&up, Mode::Epsv, Tls::Ftps);
    let downloads = [
        ("127.0.1.41", Mode::Pasv, Tls::Plain),
        ("127.0.1.42", Mode::Epsv, Tls::Plain),
        ("127.0.1.43", Mode::Pasv, Tls::Ftps),
    ];
    for (from, mode, tls) in downloads {
        let target = file(&format!("lftp-{from}.bin"));
        let down = lftp_from(
            &fleet,
            from,
            mode,
            tls,
            &format!("get lftp.bin -o {}", target.display()),
        );
        assert_lftp(&down, mode, tls);
        assert!(read(&target) == body, "{from}: lftp's download differs");
    }

    // ftplib uploads plain over PASV, then downloads both uploads in every
    // form.
    let py_body: Vec<u8> = (0..200_000u32).map(|i| (i * 13 % 241) as u8).collect();
    std::fs::write(file("py-up.bin"), &py_body).expect("a file");
    let up_file = file("py-up.bin");
    let got = |from: &str, name: &str| file(&format!("py-{from}-{name}"));
    let (g51, g52, g53, g54) = (
        got("127.0.1.51", "lftp.bin"),
        got("127.0.1.52", "py.bin"),
        got("127.0.1.53", "lftp.bin"),
        got("127.0.1.54", "py.bin"),
    );
    ftplib_sessions(
        &fleet,
        &[
            (
                "127.0.1.50",
                Mode::Pasv,
                Tls::Plain,
                "stor",
                "py.bin",
                &up_file,
            ),
            (
                "127.0.1.51",
                Mode::Epsv,
                Tls::Plain,
                "retr",
                "lftp.bin",
                &g51,
            ),
            ("127.0.1.52", Mode::Pasv, Tls::Ftps, "retr", "py.bin", &g52),
            (
                "127.0.1.53",
                Mode::Epsv,
                Tls::Ftps,
                "retr",
                "lftp.bin",
                &g53,
            ),
            ("127.0.1.54", Mode::Epsv, Tls::Plain, "retr", "py.bin", &g54),
        ],
    );
    assert!(
        read(&g51) == body,
        "ftplib's EPSV download of lftp's upload differs"
    );
    assert!(
        read(&g53) == body,
        "ftplib's FTPS download of lftp's upload differs"
    );
    assert!(read(&g52) == py_body, "ftplib's FTPS download differs");
    assert!(read(&g54) == py_body, "ftplib's EPSV download differs");
    // lftp reads ftplib's upload too.
    let target = file("lftp-py.bin");
    let down = lftp_from(
        &fleet,
        "127.0.1.44",
        Mode::Epsv,
        Tls::Ftps,
        &format!("get py.bin -o {}", target.display()),
    );
    assert_lftp(&down, Mode::Epsv, Tls::Ftps);
    assert!(
        read(&target) == py_body,
        "lftp's download of ftplib's upload differs"
    );

    // Each session was logged with its client's own address, on a node of
    // the round robin: the downloads landed on other nodes than the
    // uploads, and all three nodes served.
    let node = |from: &str| fleet.node_of(from);
    let lftp_uploader = node("127.0.1.40");
    let py_uploader = node("127.0.1.50");
    let lftp_readers: BTreeSet<usize> = [
        "127.0.1.41",
        "127.0.1.42",
        "127.0.1.43",
        "127.0.1.51",
        "127.0.1.53",
    ]
    .iter()
    .map(|from| node(from))
    .collect();
    let py_readers: BTreeSet<usize> = ["127.0.1.52", "127.0.1.54", "127.0.1.44"]
        .iter()
        .map(|from| node(from))
        .collect();
    assert!(
        lftp_readers.iter().any(|&n| n != lftp_uploader),
        "every download of lftp's upload was on its node {lftp_uploader}"
    );
    assert!(
        py_readers.iter().any(|&n| n != py_uploader),
        "every download of ftplib's upload was on its node {py_uploader}"
    );
    let used: BTreeSet<usize> = lftp_readers.union(&py_readers).copied().collect();
    assert_eq!(used.len(), 3, "not every node served a session: {used:?}");
    for (i, node) in fleet.nodes.iter().enumerate() {
        let log = node.log_text();
        assert!(
            !log.contains("peer=127.0.0.1:"),
            "node {i} logged HAProxy:\n{log}"
        );
    }
}
