//! Plain binary uploads into the local root, which wharfd receives with
//! `splice(2)` (`--splice-uploads on`) or copies (`off`): byte-exact
//! either way, and a client whose data connection dies, who sends ABOR, or
//! who stalls mid-upload gets the same replies on both paths and leaves
//! nothing under the final name or a temporary one.

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

/// Logs in, opens a passive data connection and starts `STOR name`: the
/// control connection (after its `150`) and the data connection.
async fn start_upload(server: &Server, name: &str) -> (Raw, TcpStream) {
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
    let data = TcpStream::connect((server.addr().ip(), port))
        .await
        .expect("data connection");
    let started = raw.cmd(&format!("STOR {name}")).await;
    assert!(started.starts_with("150"), "{started:?}");
    (raw, data)
}

/// The client resets its data connection after 3 MiB of an upload: the
/// client sees a `4xx` reply to STOR, and afterwards the root holds no
/// file of that name and no temporary file.
#[tokio::test]
async fn a_reset_mid_upload_leaves_nothing_behind() {
    let server = Server::builder().args(&["--splice-uploads", "on"]).start();
    let (mut raw, mut data) = start_upload(&server, "cut.bin").await;
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

/// ABOR after 3 MiB of an upload, spliced and copied: the client gets
/// `426` for the STOR and then `226` for the ABOR, its data connection is
/// closed, and the root holds nothing (no final name, no temporary file)
/// once the replies are in.
#[tokio::test]
async fn abor_mid_upload_replies_alike_and_leaves_nothing_behind() {
    for switch in ["on", "off"] {
        let server = Server::builder()
            .args(&["--splice-uploads", switch])
            .start();
        let (mut raw, mut data) = start_upload(&server, "aborted.bin").await;
        data.write_all(&support::pattern(3 * 1024 * 1024, 5))
            .await
            .expect("send part of the file");
        // Let the server take some of it before the ABOR.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let transfer = raw.cmd("ABOR").await;
        assert!(transfer.starts_with("426"), "splice {switch}: {transfer:?}");
        let abor = raw.line().await;
        assert!(abor.starts_with("226"), "splice {switch}: {abor:?}");
        assert!(
            names(&server).is_empty(),
            "splice {switch}: {:?}",
            names(&server)
        );
        // The server closed the data connection: a read ends, or a write
        // of more of the file fails, within a bounded time.
        let closed = tokio::time::timeout(Duration::from_secs(10), async {
            let more = vec![0u8; 64 * 1024];
            while data.write_all(&more).await.is_ok() {}
        })
        .await;
        assert!(
            closed.is_ok(),
            "splice {switch}: the data connection stayed open"
        );
    }
}

/// A client that sends 3 MiB and then nothing, with its data connection
/// open, spliced and copied: after the 2 s stall bound it gets the same
/// `426` on both paths, and the root holds nothing.
#[tokio::test]
async fn a_stalled_client_gets_426_on_both_paths_and_leaves_nothing() {
    let mut replies = Vec::new();
    for switch in ["on", "off"] {
        let server = Server::builder()
            .config("[timeouts]\ndata_stall_secs = 2\n")
            .args(&["--splice-uploads", switch])
            .start();
        let (mut raw, mut data) = start_upload(&server, "stalled.bin").await;
        data.write_all(&support::pattern(3 * 1024 * 1024, 3))
            .await
            .expect("send part of the file");
        let started = std::time::Instant::now();
        let reply = tokio::time::timeout(Duration::from_secs(15), raw.line())
            .await
            .expect("a reply to the stalled STOR");
        assert!(
            started.elapsed() >= Duration::from_millis(1500),
            "{:?}",
            started.elapsed()
        );
        assert!(reply.starts_with("426"), "splice {switch}: {reply:?}");
        assert!(
            names(&server).is_empty(),
            "splice {switch}: {:?}",
            names(&server)
        );
        replies.push(reply);
        drop(data);
    }
    assert_eq!(replies[0], replies[1], "the same reply spliced and copied");
}

/// Fills the per-user pipe limit (`fs.pipe-user-pages-soft`) as the user
/// it runs as: makes 1 MiB pipes until the kernel refuses one, says how
/// many it holds, and keeps them until its stdin closes.
const PIPE_HOG: &str = r#"
import fcntl, os, sys
held = []
while len(held) < 100000:
    r, w = os.pipe()
    held.append((r, w))
    try:
        fcntl.fcntl(w, 1031, 1 << 20)  # F_SETPIPE_SZ
    except OSError:
        break
print("held", len(held), flush=True)
sys.stdin.read()
"#;

/// Under `--run-as`, with the user's pipes already at the per-user pipe
/// limit (another process of that user holds them): the kernel refuses
/// wharfd a 1 MiB pipe, so a 5 MiB upload is copied instead of spliced
/// through a two-page pipe. The client sees a normal upload, the file is
/// byte for byte what was sent, and the log says once why uploads are
/// copied.
#[test]
fn uploads_are_copied_byte_exact_at_the_per_user_pipe_limit() {
    use crate::hostile_privileges::harness::{TestUser, Wharfd, require_root, root_for};
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};

    if !require_root("uploads_are_copied_byte_exact_at_the_per_user_pipe_limit") {
        return;
    }
    let user = TestUser::create();
    let (base, root) = root_for(&user);
    let mut hog = Command::new("/usr/bin/python3")
        .args(["-c", PIPE_HOG])
        .uid(user.uid)
        .gid(user.gid)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut said = String::new();
    BufReader::new(hog.stdout.take().expect("stdout"))
        .read_line(&mut said)
        .expect("the hog's count");
    assert!(said.starts_with("held "), "{said:?}");
    let server = Wharfd::serving(
        "127.0.0.1:0",
        &root,
        &["--run-as", &user.name, "--splice-uploads", "on"],
    );
    let data = support::pattern(5 * 1024 * 1024 + 4097, 11);
    server.stor(base.path(), "up.bin", &data);
    let stored = std::fs::read(root.join("up.bin")).expect("the upload");
    assert!(stored == data, "the stored file differs from the upload");
    assert!(
        server.wait_for_log("refused a pipe for splice uploads"),
        "{}",
        server.log()
    );
    drop(server);
    let _ = hog.kill();
    let _ = hog.wait();
}

/// A 1 MiB upload against a 200,000-byte quota, spliced and copied: the
/// same reply on both paths (a refusal, after the `150`), and nothing
/// committed under the name or left as a temporary file.
#[tokio::test]
async fn an_upload_over_quota_is_refused_alike_and_leaves_nothing() {
    let mut replies = Vec::new();
    for switch in ["on", "off"] {
        let server = Server::builder()
            .args(&["--quota", "200000", "--splice-uploads", switch])
            .start();
        let (mut raw, mut data) = start_upload(&server, "big.bin").await;
        // The server may stop reading once the quota is spent.
        let _ = data.write_all(&support::pattern(1024 * 1024, 4)).await;
        let _ = data.shutdown().await;
        let reply = tokio::time::timeout(Duration::from_secs(20), raw.line())
            .await
            .expect("a reply to the STOR over quota");
        assert!(
            reply.starts_with('4') || reply.starts_with('5'),
            "splice {switch}: {reply:?}"
        );
        assert!(
            names(&server).is_empty(),
            "splice {switch}: {:?}",
            names(&server)
        );
        replies.push(reply);
    }
    assert_eq!(replies[0], replies[1], "the same reply spliced and copied");
}

/// A 3 MiB upload under a 1 MiB/s session upload rate takes at least
/// about 3 s spliced as copied (the rate holds; only a lower bound, since
/// a loaded machine may only slow it down), and arrives byte for byte.
#[test]
fn the_upload_rate_holds_on_both_paths() {
    for switch in ["on", "off"] {
        let server = Server::builder()
            .args(&[
                "--session-upload-rate",
                "1MiB/s",
                "--splice-uploads",
                switch,
            ])
            .start();
        let local = tempfile::tempdir().expect("tempdir");
        let data = support::pattern(3 * 1024 * 1024, 8);
        let source = support::write_file(local.path(), "slow.bin", &data);
        let started = std::time::Instant::now();
        let finished = curl(&[
            "-sS",
            "-T",
            source.to_str().expect("UTF-8 path"),
            &format!("{}/slow.bin", server.url()),
        ]);
        let seconds = started.elapsed().as_secs_f64();
        assert_success(&finished, &server);
        assert_stored(&server, "slow.bin", &data);
        // The first second's worth may pass before the throttle bites.
        assert!(
            seconds >= 1.7,
            "splice {switch}: 3 MiB at 1 MiB/s in {seconds:.2} s"
        );
    }
}

/// Whether `path` is on a file system kept in memory (`stat -f`).
fn in_memory(path: &std::path::Path) -> bool {
    let out = std::process::Command::new("stat")
        .args(["-f", "-c", "%T"])
        .arg(path)
        .output()
        .expect("run stat -f");
    let kind = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    kind == "tmpfs" || kind == "ramfs"
}

/// The default, `auto`, splices where the copy would go through the page
/// cache too: with `--sync-uploads off`, and for durable uploads on a file
/// system in memory; a durable upload into a root on a disk is copied,
/// which writes it past the page cache. The server's debug log says which
/// way each upload took. Byte-exact either way.
#[test]
fn auto_splices_only_where_the_copy_would_use_the_page_cache() {
    for sync in ["on", "off"] {
        let server = Server::builder()
            .args(&["--sync-uploads", sync])
            .env("RUST_LOG", "info,wharf_session::data::splice=debug")
            .start();
        let local = tempfile::tempdir().expect("tempdir");
        let data = support::pattern(3 * 1024 * 1024 + 5, 11);
        let source = support::write_file(local.path(), "auto.bin", &data);
        let finished = curl(&[
            "-sS",
            "-T",
            source.to_str().expect("UTF-8 path"),
            &format!("{}/auto.bin", server.url()),
        ]);
        assert_success(&finished, &server);
        assert_stored(&server, "auto.bin", &data);
        let spliced = server.log_text().contains("upload received by splice");
        let expected = sync == "off" || in_memory(server.root());
        assert_eq!(
            spliced,
            expected,
            "--sync-uploads {sync}, root in memory: {}",
            in_memory(server.root())
        );
    }
}
