//! The FileZilla test: connect with explicit FTPS, accept the unknown
//! certificate, list, download, upload.

use std::collections::BTreeSet;
use std::thread;
use std::time::{Duration, Instant};

use super::client::{entries, reply_to};
use super::scene::Scene;
use crate::support::{self, Server, pattern};

/// Where to click to focus a file list: FileZilla's default layout puts
/// the local files bottom left and the remote files bottom right, under
/// their directory trees; at 70 % of the window's height a click lands in
/// the lists' empty space below a few entries, selecting none of them.
const LOCAL_FILES: (f64, f64) = (0.25, 0.7);
const REMOTE_FILES: (f64, f64) = (0.75, 0.7);

/// The name FileZilla gives its main window once connected:
/// `ftpes://alice@127.0.0.1:PORT - FileZilla`.
const MAIN_WINDOW: &str = " - FileZilla$";

/// FileZilla connects with `ftpes://`, shows its "Unknown certificate"
/// dialog for wharfd's self-signed certificate and goes on once it is
/// accepted; it lists `/`, opens `docs` (a second listing), downloads
/// `docs/down.bin` and uploads `up.bin` into `docs`, each by Enter on the
/// name typed into its pane. Both files are then the same bytes on both
/// sides; every connection FileZilla opened asked for AUTH TLS and PROT P
/// before it moved data; the server logged the listings and transfers.
#[test]
fn filezilla_explicit_ftps_list_download_upload() {
    support::require_tool("import", "imagemagick");
    let server = Server::builder().tls().start();
    let down = pattern(200_017, 31);
    let up = pattern(300_005, 32);
    support::write_file(server.root(), "docs/down.bin", &down);
    let local = tempfile::tempdir().expect("tempdir");
    support::write_file(local.path(), "up.bin", &up);

    let mut scene = Scene::start(server, local);
    eprintln!("client: {}", scene.version.line);

    // The certificate is unknown (no trustedcerts.xml): FileZilla asks,
    // and Enter presses its default button, OK.
    let dialog = scene.window("certificate dialog", "^Unknown certificate$");
    accept(&mut scene, &dialog);
    scene.wait_for_log("listing of /", "Directory listing of \"/\" successful", 1);

    let main = scene.window("main window", MAIN_WINDOW);
    scene.display.focus(&main);
    scene
        .display
        .click_at(&main, REMOTE_FILES.0, REMOTE_FILES.1);
    scene.display.type_text("docs");
    scene.display.key("Return");
    scene.wait_for_log(
        "listing of /docs",
        "Directory listing of \"/docs\" successful",
        1,
    );

    scene.display.type_text("down");
    scene.display.key("Return");
    scene.wait_for_log("download of docs/down.bin", "File transfer successful", 1);
    let downloaded = scene.local().join("down.bin");
    scene.assert_file("downloaded down.bin", &downloaded, &down);

    scene.display.focus(&main);
    scene.display.click_at(&main, LOCAL_FILES.0, LOCAL_FILES.1);
    scene.display.type_text("up");
    scene.display.key("Return");
    scene.wait_for_log("upload of up.bin into docs", "File transfer successful", 2);
    let uploaded = scene.server.root().join("docs/up.bin");
    scene.assert_file("uploaded docs/up.bin", &uploaded, &up);
    // The sources are untouched.
    scene.assert_file(
        "server's docs/down.bin",
        &scene.server.root().join("docs/down.bin"),
        &down,
    );
    scene.assert_file("local up.bin", &scene.local().join("up.bin"), &up);

    scene.settle();
    let screenshot = Scene::screenshot_path();
    if let Err(report) = scene.display.screenshot(&screenshot) {
        scene.fail(&format!("no screenshot: {report}"));
    }
    let png = support::read_file(&screenshot);
    assert!(
        png.len() > 1024 && png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG screenshot ({} bytes)",
        screenshot.display(),
        png.len()
    );

    check_client_log(&scene);
    check_server_log(&scene);
}

/// Accepts the certificate dialog `dialog` with Enter, pressing it again
/// (at most three times) while the dialog stays: without a window manager
/// the first key can race the dialog's focus.
fn accept(scene: &mut Scene, dialog: &str) {
    for _ in 0..3 {
        scene.display.focus(dialog);
        scene.display.key("Return");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if scene.display.find_window("^Unknown certificate$").is_none() {
                return;
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
    scene.fail("the certificate dialog stayed after three Enter presses");
}

/// FileZilla's own log: TLS before login and PROT P before data on every
/// connection that moved data, and the MLSD lines of `docs` as received.
fn check_client_log(scene: &Scene) {
    let log = scene.filezilla.log();
    let entries = entries(&log);
    let data_commands = ["MLSD", "LIST", "NLST", "RETR", "STOR"];
    let moved_data: BTreeSet<&str> = entries
        .iter()
        .filter(|e| {
            e.kind == "Command" && data_commands.iter().any(|verb| e.text.starts_with(verb))
        })
        .map(|e| e.connection)
        .collect();
    if moved_data.len() < 2 {
        scene.fail("FileZilla used fewer than two connections (browsing, transfers)");
    }
    for connection in &moved_data {
        for (command, expected) in [("AUTH TLS", "234 "), ("PBSZ 0", "200 "), ("PROT P", "200 ")] {
            let reply = reply_to(&entries, connection, command);
            if !reply.is_some_and(|reply| reply.starts_with(expected)) {
                scene.fail(&format!(
                    "connection {connection}: {command} got {reply:?}, not {expected}"
                ));
            }
        }
    }
    // Each data connection, from PASV to the 226 after the transfer, went
    // through a TLS handshake that resumed the control connection's
    // session (FileZilla refuses data connections that do not).
    let mut transfers = 0;
    for connection in &moved_data {
        let mut open: Option<(bool, bool)> = None;
        for e in entries.iter().filter(|e| e.connection == *connection) {
            match (e.kind, e.text) {
                ("Command", "PASV" | "EPSV") => open = Some((false, false)),
                ("Trace", "TLS Handshake successful") => {
                    if let Some(state) = open.as_mut() {
                        state.0 = true;
                    }
                }
                ("Trace", "TLS Session resumed") => {
                    if let Some(state) = open.as_mut() {
                        state.1 = true;
                    }
                }
                ("Response", reply) if reply.starts_with("226") => {
                    if open.take() != Some((true, true)) {
                        scene.fail(&format!(
                            "connection {connection}: a data connection ended ({reply}) without a resumed TLS session"
                        ));
                    }
                    transfers += 1;
                }
                _ => {}
            }
        }
    }
    if transfers < 4 {
        scene.fail(&format!(
            "{transfers} completed data transfers in FileZilla's log, not 4 (two MLSD, RETR, STOR)"
        ));
    }
    let raw_listing = entries
        .iter()
        .filter(|e| e.kind == "Listing")
        .find(|e| e.text.ends_with("; down.bin"));
    if !raw_listing.is_some_and(|e| e.text.contains("size=200017;")) {
        scene.fail("FileZilla's raw MLSD listing has no line for down.bin with its size");
    }
    for text in [
        "TLS connection established",
        "Starting download of /docs/down.bin",
    ] {
        if !log.contains(text) {
            scene.fail(&format!("FileZilla's log lacks {text:?}"));
        }
    }
}

/// wharfd's log: both connections secured, the two listings and the two
/// transfers with their sizes.
fn check_server_log(scene: &Scene) {
    let log = scene.server.log_text();
    let secured = log.matches("control connection secured with TLS").count();
    if secured < 2 {
        scene.fail(&format!(
            "wharfd secured {secured} control connections, not 2"
        ));
    }
    for line in [
        r#"verb="MLSD" path=/ "#,
        r#"verb="MLSD" path=/docs "#,
        r#"verb="RETR" path=/docs/down.bin bytes=200017 "#,
        r#"verb="STOR" path=/docs/up.bin bytes=300005 "#,
    ] {
        if !log.contains(line) {
            scene.fail(&format!("wharfd's log lacks {line:?}"));
        }
    }
}
