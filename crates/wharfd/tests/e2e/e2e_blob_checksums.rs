//! Checksum commands on blob storage: the MD5 Azurite keeps of a blob
//! (Content-MD5) answers XMD5 and HASH MD5 without reading the blob, as
//! wharfd's storage metrics show; SHA-256 reads it. Known answers: "abc"
//! (RFC 1321, FIPS 180).

use crate::support;

use std::process::Command;
use std::time::Duration;

use support::azurite::{ACCOUNT, Azurite, KEY};
use support::{Finished, Server, require_tool, run};

const MD5_ABC: &str = "900150983cd24fb0d6963f7d28e17f72";
const SHA256_ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

fn curl(server: &Server, args: &[&str]) -> Finished {
    require_tool("curl", "curl");
    let finished = run(
        Command::new("curl")
            .args(["-sS", "-v", "-u", &format!("{ACCOUNT}:{KEY}")])
            .args(args),
        Duration::from_secs(60),
    );
    assert!(
        finished.status.success(),
        "curl {args:?} failed\n{}\n{}",
        finished.report(),
        server.log_tail()
    );
    finished
}

/// `wharf_storage_operations_total{backend="azure",operation=OP}`.
fn storage_calls(server: &Server, operation: &str) -> f64 {
    let metrics = run(
        Command::new("curl")
            .args(["-sS", "--max-time", "10"])
            .arg(format!("{}/metrics", server.admin_url())),
        Duration::from_secs(15),
    )
    .stdout_text();
    let name =
        format!("wharf_storage_operations_total{{backend=\"azure\",operation=\"{operation}\"}}");
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(&name))
        .map_or(0.0, |value| value.trim().parse().unwrap_or(f64::NAN))
}

#[test]
fn xmd5_on_a_blob_comes_from_its_stored_content_md5() {
    let azurite = Azurite::start();
    let server = Server::builder()
        .args(&[
            "--azure-passthrough",
            "--azure-endpoint",
            &azurite.endpoint(),
            "--allow-account-keys-in-clear",
            "--admin-listen",
            "127.0.0.1:0",
        ])
        .start();
    let url = server.url();
    let local = tempfile::tempdir().expect("tempdir");
    let file = local.path().join("abc");
    std::fs::write(&file, b"abc").expect("write abc");
    curl(&server, &["-Q", "MKD /sums", &format!("{url}/")]);
    curl(
        &server,
        &[
            "-T",
            file.to_str().expect("UTF-8"),
            &format!("{url}/sums/abc"),
        ],
    );

    let reads_before = storage_calls(&server, "open_read");
    let asked = curl(
        &server,
        &[
            "-Q",
            "XMD5 /sums/abc",
            "-Q",
            "OPTS HASH MD5",
            "-Q",
            "HASH /sums/abc",
            &format!("{url}/sums/"),
        ],
    );
    let conversation = asked.stderr_text();
    assert!(
        conversation.contains(&format!("< 250 {MD5_ABC}")),
        "{conversation}"
    );
    assert!(
        conversation.contains(&format!("< 213 MD5 0-2 {MD5_ABC} /sums/abc")),
        "{conversation}"
    );
    assert_eq!(storage_calls(&server, "stored_md5"), 2.0);
    // The listing curl fetched is the only read: the blob was not.
    assert_eq!(storage_calls(&server, "open_read"), reads_before);

    // SHA-256 has no stored form: the blob is read.
    let asked = curl(&server, &["-Q", "XSHA256 /sums/abc", &format!("{url}/")]);
    assert!(
        asked.stderr_text().contains(&format!("< 250 {SHA256_ABC}")),
        "{}",
        asked.stderr_text()
    );
    assert_eq!(storage_calls(&server, "open_read"), reads_before + 1.0);
}
