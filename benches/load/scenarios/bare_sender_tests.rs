//! `benches/peers/bare_sender.py`, the reference sender of the download
//! rows, driven by the bench's own client and by curl as compare.sh does:
//! it must deliver every byte, refuse a wrong password and not know a
//! missing file,
//! and serve several sessions at once.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use tokio::io::AsyncReadExt;

use super::{Settings, curl, transfer};
use crate::client::{self, Client};
use crate::target::Target;

/// The script, run by `python3` until dropped.
struct BareSender {
    child: Child,
    port: u16,
}

impl BareSender {
    fn start(root: &std::path::Path) -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/peers/bare_sender.py");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--port", &port.to_string(), "--user", "u", "--password", "p"])
            .arg("--root")
            .arg(root)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the bare sender");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), format!("listening on {port}"));
        Self { child, port }
    }

    fn target(&self, root: &std::path::Path) -> Target {
        Target::parse(&format!(
            "name=bare,addr=127.0.0.1:{},user=u,password=p,root={},pid={}",
            self.port,
            root.display(),
            self.child.id()
        ))
        .unwrap()
    }
}

impl Drop for BareSender {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A file of `size` bytes in a pattern that shows any byte out of place.
fn big_file(root: &std::path::Path, size: usize) -> Vec<u8> {
    let content: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    std::fs::write(root.join("big.bin"), &content).unwrap();
    content
}

fn settings(size: usize) -> Settings {
    Settings {
        size: size as u64,
        seconds: 1.0,
        list_files: 0,
        sources: Vec::new(),
        connector: client::tls_connector().unwrap(),
    }
}

#[tokio::test]
async fn a_download_arrives_whole_and_in_order() {
    let root = tempfile::tempdir().unwrap();
    // More than one sendfile call's MiB, and not a multiple of it.
    let content = big_file(root.path(), 3 * 1024 * 1024 + 17);
    let sender = BareSender::start(root.path());
    let target = sender.target(root.path());
    let mut client = Client::open(target.addr, None, "u", "p", None)
        .await
        .unwrap();
    assert_eq!(client.size("big.bin").await.unwrap(), content.len() as u64);
    let mut data = client.transfer("RETR big.bin").await.unwrap();
    let mut got = Vec::new();
    data.read_to_end(&mut got).await.unwrap();
    client.finish().await.unwrap();
    assert!(got == content, "{} bytes came, not the file", got.len());
    let missing = client.size("nothing.bin").await.unwrap_err();
    assert!(format!("{missing:#}").contains("550"), "{missing:#}");
}

#[tokio::test]
async fn a_wrong_password_is_refused() {
    let root = tempfile::tempdir().unwrap();
    big_file(root.path(), 10);
    let sender = BareSender::start(root.path());
    let addr = sender.target(root.path()).addr;
    let refused = Client::open(addr, None, "u", "wrong", None).await.err();
    let refused = refused.expect("a wrong password logs in");
    assert!(format!("{refused:#}").contains("530"), "{refused:#}");
}

#[tokio::test]
async fn the_download_rows_run_against_it() {
    let root = tempfile::tempdir().unwrap();
    let size = 2 * 1024 * 1024 + 5;
    big_file(root.path(), size);
    let sender = BareSender::start(root.path());
    let target = sender.target(root.path());
    let settings = settings(size);
    // Both check that every session got the whole size.
    transfer::retr_big(&target, &settings, 4, None)
        .await
        .unwrap();
    curl::retr_big_curl(&target, &settings, 2).await.unwrap();
}
