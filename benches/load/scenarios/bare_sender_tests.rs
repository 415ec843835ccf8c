//! `benches/peers/bare_sender.py`, the reference sender of the download
//! rows, driven by the bench's own client and by curl as compare.sh does:
//! it must deliver every byte, also after the socket filled up, refuse a
//! wrong password, answer for a missing file and a RETR without EPSV,
//! keep to its passive ports, and serve several sessions at once.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use wharf_proto::extended::parse_epsv_reply;

use super::{Settings, curl, transfer};
use crate::client::{self, Client};
use crate::target::Target;

/// Every test ends within this, whatever the script does.
const LIMIT: Duration = Duration::from_secs(60);

/// The script, run by `python3` on a port it picks, until dropped.
struct BareSender {
    child: Child,
    port: u16,
}

impl BareSender {
    fn start(root: &Path, extra: &[&str]) -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/peers/bare_sender.py");
        let child = Command::new("python3")
            .arg(script)
            .args(["--port", "0", "--user", "u", "--password", "p"])
            .arg("--root")
            .arg(root)
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the bare sender");
        let mut sender = Self { child, port: 0 };
        let mut line = String::new();
        let stdout = sender.child.stdout.take().expect("piped stdout");
        BufReader::new(stdout).read_line(&mut line).unwrap();
        sender.port = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("not a listening line: {line:?}"));
        sender
    }

    fn target(&self, root: &Path) -> Target {
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
fn big_file(root: &Path, size: usize) -> Vec<u8> {
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

async fn within_limit(test: impl Future<Output = ()>) {
    tokio::time::timeout(LIMIT, test)
        .await
        .expect("the bare sender answered in time");
}

#[tokio::test]
async fn a_download_arrives_whole_and_in_order() {
    let root = tempfile::tempdir().unwrap();
    // More than loopback's buffers hold, so that the sender meets a full
    // socket while the client waits, and not a multiple of a call's MiB.
    let content = big_file(root.path(), 24 * 1024 * 1024 + 17);
    let sender = BareSender::start(root.path(), &[]);
    let target = sender.target(root.path());
    within_limit(async {
        let mut client = Client::open(target.addr, None, "u", "p", None)
            .await
            .unwrap();
        assert_eq!(client.size("big.bin").await.unwrap(), content.len() as u64);
        let mut data = client.transfer("RETR big.bin").await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut got = Vec::new();
        data.read_to_end(&mut got).await.unwrap();
        client.finish().await.unwrap();
        assert!(got == content, "{} bytes came, not the file", got.len());
        let missing = client.size("nothing.bin").await.unwrap_err();
        assert!(format!("{missing:#}").contains("550"), "{missing:#}");
        client.command("RETR big.bin", 425).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_wrong_password_is_refused() {
    let root = tempfile::tempdir().unwrap();
    big_file(root.path(), 10);
    let sender = BareSender::start(root.path(), &[]);
    let addr = sender.target(root.path()).addr;
    within_limit(async {
        let refused = Client::open(addr, None, "u", "wrong", None).await.err();
        let refused = refused.expect("a wrong password logs in");
        assert!(format!("{refused:#}").contains("530"), "{refused:#}");
    })
    .await;
}

#[tokio::test]
async fn passive_ports_come_from_the_range_given() {
    let root = tempfile::tempdir().unwrap();
    big_file(root.path(), 10);
    let sender = BareSender::start(root.path(), &["--passive-ports", "47100-47199"]);
    let addr = sender.target(root.path()).addr;
    within_limit(async {
        let mut client = Client::open(addr, None, "u", "p", None).await.unwrap();
        for _ in 0..3 {
            let reply = client.command("EPSV", 229).await.unwrap();
            let line = reply.lines().first().unwrap().to_string_lossy();
            let port = parse_epsv_reply(line.as_bytes()).unwrap();
            assert!((47100..=47199).contains(&port), "{line}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_download_rows_run_against_it() {
    let root = tempfile::tempdir().unwrap();
    let size = 2 * 1024 * 1024 + 5;
    big_file(root.path(), size);
    let sender = BareSender::start(root.path(), &[]);
    let target = sender.target(root.path());
    let settings = settings(size);
    within_limit(async {
        // Both check that every session got the whole size.
        transfer::retr_big(&target, &settings, 4, None)
            .await
            .unwrap();
        curl::retr_big_curl(&target, &settings, 2).await.unwrap();
    })
    .await;
}
