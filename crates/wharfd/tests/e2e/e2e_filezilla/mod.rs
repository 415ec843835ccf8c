//! FileZilla 3.x, the most used desktop FTP client, driven as a person
//! drives it: under a private Xvfb display, with xdotool's keys and clicks.
//! It connects with explicit FTPS (`ftpes://`), the test accepts the
//! certificate in FileZilla's own dialog, opens a directory, downloads one
//! file and uploads another by pressing Enter on them (FileZilla's default
//! action for a file is to transfer it), and both files are compared byte
//! for byte on both sides.
//!
//! - `profile.rs`: the seeded configuration (no first-run dialog, a log
//!   file at the verbose level) in a private home directory;
//! - `display.rs`: Xvfb, xdotool and the screenshot;
//! - `client.rs`: the FileZilla process, its version and its log;
//! - `scene.rs`: server, display and client together, bounded waits and
//!   the failure report;
//! - `transfer.rs`: the test.
//!
//! The screenshot of the final screen, also taken when the test fails, is
//! `test-artifacts/filezilla-final.png` in the target directory
//! (`$CARGO_TARGET_DIR`, or `target/`). A failure prints the tail of
//! FileZilla's own log (kept whole as `test-artifacts/filezilla.log`), its
//! output, the visible windows and wharfd's log tail.

mod client;
mod display;
mod profile;
mod scene;
mod transfer;

use std::path::PathBuf;

/// The directory for files a test leaves for people to look at:
/// `test-artifacts/` in the target directory, found from the path of the
/// `wharfd` binary Cargo built there (`<target>/<profile>/wharfd`).
fn artifacts_dir() -> PathBuf {
    let wharfd = PathBuf::from(env!("CARGO_BIN_EXE_wharfd"));
    let target = wharfd
        .parent()
        .and_then(|profile| profile.parent())
        .expect("wharfd is built in <target>/<profile>/");
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    dir
}
