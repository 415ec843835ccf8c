//! The server under test: a `wharfd` process on a temporary root, on
//! loopback, stopped when dropped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const USER: &str = "bench";
pub const PASSWORD: &str = "bench-password";

pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    pub root: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts `binary` with TLS (self-signed) on a fresh root. The bench's
    /// TLS client resumes no sessions, so reuse is not required; for
    /// gigabyte transfers one full handshake per data connection is noise.
    pub async fn start(binary: &Path) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let root = dir.path().join("root");
        std::fs::create_dir(&root)?;
        let mut child = Command::new(binary)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--tls-self-signed",
                "--tls-reuse-required",
                "false",
            ])
            .arg("--root")
            .arg(&root)
            .args(["--user", &format!("{USER}:{PASSWORD}")])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!(
                    "cannot start {} (build it with cargo build --release -p wharfd)",
                    binary.display()
                )
            })?;
        let stdout = child.stdout.take().context("stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let Some(line) =
                tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
                    .await??
            else {
                bail!("wharfd exited before listening");
            };
            if let Some(addr) = line.strip_prefix("wharfd: listening on ftp://") {
                break addr.parse()?;
            }
        };
        Ok(Self {
            child,
            addr,
            root,
            _dir: dir,
        })
    }

    /// CPU seconds the server has used so far (user + system), from /proc.
    pub fn cpu_seconds(&self) -> Option<f64> {
        let pid = self.child.id()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Fields after the command name, which is in parentheses.
        let rest = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: f64 = fields.get(11)?.parse().ok()?;
        let stime: f64 = fields.get(12)?.parse().ok()?;
        // Linux reports clock ticks of 1/100 s (USER_HZ).
        Some((utime + stime) / 100.0)
    }
}
