//! The shipped units: hardened, and accepted by `systemd-analyze verify`.

use crate::support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// A file of the repository's `contrib/`, read when the test runs (the
/// published crate does not hold it).
fn contrib(path: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../contrib")
        .join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The repository's unit, with `ExecStart=` and `ExecStartPre=` running
/// the wharfd under test (verify checks that the executables exist).
fn unit_for_test(bin: &Path) -> String {
    let unit = contrib("systemd/wharfd.service");
    let installed = "/usr/local/bin/wharfd";
    assert_eq!(
        unit.matches(installed).count(),
        2,
        "ExecStartPre= and ExecStart="
    );
    unit.replace(installed, bin.to_str().expect("UTF-8 path"))
}

#[test]
fn the_unit_is_hardened_and_passes_systemd_analyze_verify() {
    support::require_tool("systemd-analyze", "systemd");
    let bin = Path::new(env!("CARGO_BIN_EXE_wharfd"));
    let unit = unit_for_test(bin);
    for line in [
        "Type=notify",
        "User=wharf",
        "Group=wharf",
        "AmbientCapabilities=CAP_NET_BIND_SERVICE",
        "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
        "ProtectSystem=strict",
        "ReadWritePaths=/srv/ftp",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "ProtectHome=yes",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "Restart=on-failure",
        "WatchdogSec=30s",
    ] {
        assert!(unit.lines().any(|l| l == line), "the unit lacks {line}");
    }
    let clean = verify(&unit);
    assert!(
        clean.is_empty(),
        "systemd-analyze about our units:\n{clean:#?}"
    );

    // The same check sees a mistake: systemd 252 only warns about an
    // unknown key (exit status 0), which is why the lines are read.
    let typo = unit.replace("NoNewPrivileges=yes", "NoNewPrivilegs=yes");
    let complaints = verify(&typo);
    assert!(
        complaints.iter().any(|l| l.contains("NoNewPrivilegs")),
        "systemd-analyze missed an unknown key: {complaints:#?}"
    );
}

/// Runs `systemd-analyze verify` on `service` (and the shipped socket
/// unit) in a fresh directory; returns the lines it printed about them.
fn verify(service: &str) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let service_path = dir.path().join("wharfd.service");
    std::fs::write(&service_path, service).expect("write the unit");
    let socket_path = dir.path().join("wharfd.socket");
    std::fs::write(&socket_path, contrib("systemd/wharfd.socket")).expect("write the socket unit");

    let finished = support::run(
        Command::new("systemd-analyze")
            .args(["verify", "--man=no"])
            .arg(&service_path)
            .arg(&socket_path),
        Duration::from_secs(60),
    );
    assert!(finished.status.success(), "{}", finished.report());
    finished
        .stderr_text()
        .lines()
        .chain(finished.stdout_text().lines())
        .filter(|line| line.contains("wharfd."))
        .map(str::to_owned)
        .collect()
}
