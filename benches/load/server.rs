//! The built-in target: a `wharfd` process on a temporary root, on
//! loopback, with TLS and session limits above what the scenarios open,
//! stopped when dropped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const USER: &str = "bench";
pub const PASSWORD: &str = "bench-password";

/// The certificate chain and key files the built-in server uses for TLS.
#[derive(Clone)]
pub struct ServerCert {
    pub chain: PathBuf,
    pub key: PathBuf,
}

pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    pub root: PathBuf,
    binary: PathBuf,
    max_sessions: usize,
    cert: Option<ServerCert>,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts `binary` with TLS on a fresh root (with `cert`, else a
    /// self-signed certificate of its own: ECDSA P-256, while compare.sh
    /// gives every server one RSA-2048 certificate), allowing
    /// `max_sessions` at once from any one address or in all. The bench's
    /// TLS client resumes its session's TLS session on each data
    /// connection and counts how often the server let it (the table's
    /// notes); reuse is not required, as it is not of the peers, so that a
    /// refused resumption shows up in that count as a full handshake rather
    /// than as a failed run.
    /// Passive ports sit below Linux's ephemeral range, away from the
    /// default ones other local `wharfd`s (tests) may use.
    pub async fn start(
        binary: &Path,
        max_sessions: usize,
        cert: Option<ServerCert>,
    ) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let root = dir.path().join("root");
        std::fs::create_dir(&root)?;
        let (child, addr) = spawn(binary, max_sessions, &root, cert.as_ref()).await?;
        Ok(Self {
            child,
            addr,
            root,
            binary: binary.to_owned(),
            max_sessions,
            cert,
            _dir: dir,
        })
    }

    /// Stops the server and starts a new process on the same root, so that
    /// a memory measurement starts from a fresh heap rather than one that
    /// earlier scenarios grew and freed.
    pub async fn restart(&mut self) -> Result<()> {
        self.child.kill().await?;
        let (child, addr) = spawn(
            &self.binary,
            self.max_sessions,
            &self.root,
            self.cert.as_ref(),
        )
        .await?;
        self.child = child;
        self.addr = addr;
        Ok(())
    }

    /// The server's pid, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}

/// Runs `binary` on `root`; returns it once it listens, with its address.
async fn spawn(
    binary: &Path,
    max_sessions: usize,
    root: &Path,
    cert: Option<&ServerCert>,
) -> Result<(Child, SocketAddr)> {
    let mut command = Command::new(binary);
    match cert {
        Some(cert) => command
            .arg("--tls-cert")
            .arg(&cert.chain)
            .arg("--tls-key")
            .arg(&cert.key),
        None => command.arg("--tls-self-signed"),
    };
    let mut child = command
        .args([
            "--listen",
            "127.0.0.1:0",
            "--tls-reuse-required",
            "false",
            "--passive-ports",
            "23000-24999",
        ])
        .arg("--max-sessions")
        .arg(max_sessions.to_string())
        .arg("--max-sessions-per-ip")
        .arg(max_sessions.to_string())
        // Every load client comes from 127.0.0.1: the per-address limits
        // that defend an internet-facing server would throttle the bench.
        .arg("--max-unauthenticated-sessions")
        .arg(max_sessions.to_string())
        .arg("--max-unauthenticated-sessions-per-ip")
        .arg(max_sessions.to_string())
        .args(["--max-passive-per-ip", "0"])
        .arg("--root")
        .arg(root)
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
            tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line()).await??
        else {
            bail!("wharfd exited before listening");
        };
        if let Some(addr) = line.strip_prefix("wharfd: listening on ftp://") {
            break addr.parse()?;
        }
    };
    Ok((child, addr))
}
