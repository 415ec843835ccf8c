//! Plain binary uploads into the local root, which wharfd receives with
//! `splice(2)` under `--splice-uploads on` (the default copies):
//! byte-exact either way, and a client whose data connection dies
//! mid-upload leaves nothing under the final name or a temporary one.

use crate::support;

use std::time::Duration;

use support::{Raw, Server, assert_stored, assert_success, curl};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Every name in the server's root, hidden ones too.
fn names(server: &Server) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(server.root())
        .expect("read the root")
        .map(|entry| {
            let entry = entry.expect("an entry");
            entry.file_name().to_string_lossy().into_owned()
        })
        .collect();
    names.sort();
    names
}

/// A 5 MiB upload (more than a pipeful, not a multiple of a page) is
/// stored byte for byte with splicing on and with it off.
#[test]
fn uploads_are_byte_exact_spliced_or_copied() {
    for switch in ["on", "off"] {
        let server = Server::builder()
            .args(&["--splice-uploads", switch])
            .start();
        let local = tempfile::tempdir().expect("tempdir");
        let data = support::pattern(5 * 1024 * 1024 + 4097, 7);
        let source = support::write_file(local.path(), "up.bin", &data);
        let finished = curl(&[
            "-sS",
            "-T",
            source.to_str().expect("UTF-8 path"),
            &format!("{}/up.bin", server.url()),
        ]);
        assert_success(&finished, &server);
        assert_stored(&server, "up.bin", &data);
        assert_eq!(names(&server), ["up.bin"], "splice {switch}");
    }
}

/// The client resets its data connection after 3 MiB of an upload: the
/// client sees a `4xx` reply to STOR, and afterwards the root holds no
/// file of that name and no temporary file.
#[tokio::test]
async fn a_reset_mid_upload_leaves_nothing_behind() {
    let server = Server::builder().args(&["--splice-uploads", "on"]).start();
    let (mut raw, greeting) = Raw::connect(server.addr(), "127.0.0.1").await;
    assert!(greeting.starts_with("220"), "{greeting:?}");
    raw.login().await;
    assert!(raw.cmd("TYPE I").await.starts_with("200"));
    let epsv = raw.cmd("EPSV").await;
    let port: u16 = epsv
        .split("|||")
        .nth(1)
        .and_then(|rest| rest.split('|').next())
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("EPSV: {epsv:?}"));
    let mut data = TcpStream::connect((server.addr().ip(), port))
        .await
        .expect("data connection");
    let started = raw.cmd("STOR cut.bin").await;
    assert!(started.starts_with("150"), "{started:?}");
    data.write_all(&support::pattern(3 * 1024 * 1024, 9))
        .await
        .expect("send part of the file");
    // Zero linger: closing sends a reset, as a client that dies does.
    data.set_zero_linger().expect("SO_LINGER");
    drop(data);
    let reply = tokio::time::timeout(Duration::from_secs(20), raw.line())
        .await
        .expect("a reply to the broken STOR");
    assert!(reply.starts_with('4'), "{reply:?}");
    assert!(names(&server).is_empty(), "{:?}", names(&server));
}
