//! The servers a run measures: the built-in `wharfd` this bench starts
//! itself, or any FTP server already listening on loopback, described by
//! `--target name=N,addr=IP:PORT,user=U,password=P,root=DIR,pid=PID[,tls=on][,only=S+S]`.
//! `only` names the scenarios (`+` between them) the server takes part
//! in, e.g. a second wharfd with other settings for the upload rows only;
//! it has no row in the others.
//!
//! `root` is the local directory the server serves to that user: the bench
//! puts its input files there (`big.bin`, the `many/` directory) and checks
//! uploads there. `pid` is the server's main process; its CPU time and
//! memory are read over its whole process tree (see `proctree`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::proctree;
use crate::server::{Server, ServerCert};

/// User and password of the built-in `wharfd`.
const USER: &str = "bench";
const PASSWORD: &str = "bench-password";

/// One server under test.
pub struct Target {
    pub name: String,
    pub addr: SocketAddr,
    pub user: String,
    pub password: String,
    pub root: PathBuf,
    pid: u32,
    /// Whether the scenarios' FTPS variants run against it.
    pub tls: bool,
    /// The scenarios it takes part in; `None`: all.
    only: Option<Vec<String>>,
    /// The built-in server, kept running while the target lives.
    _server: Option<Server>,
}

impl Target {
    /// Starts the built-in `wharfd` from `binary`, with the certificate
    /// and key `cert` names (else a self-signed one of its own).
    pub async fn builtin(
        binary: &Path,
        max_sessions: usize,
        cert: Option<ServerCert>,
    ) -> Result<Self> {
        let server = Server::start(binary, max_sessions, cert).await?;
        Ok(Self {
            name: "wharfd".to_owned(),
            addr: server.addr,
            user: USER.to_owned(),
            password: PASSWORD.to_owned(),
            root: server.root.clone(),
            pid: server.pid().context("wharfd has no pid")?,
            tls: true,
            only: None,
            _server: Some(server),
        })
    }

    /// Parses a `--target` description of a running server.
    pub fn parse(spec: &str) -> Result<Self> {
        let (mut name, mut addr, mut user, mut password, mut root, mut pid) =
            (None, None, None, None, None, None);
        let mut tls = false;
        let mut only = None;
        for field in spec.split(',') {
            let (key, value) = field
                .split_once('=')
                .with_context(|| format!("--target: {field:?} is not key=value"))?;
            match key {
                "name" => name = Some(value.to_owned()),
                "addr" => addr = Some(value.parse().with_context(|| format!("addr={value}"))?),
                "user" => user = Some(value.to_owned()),
                "password" => password = Some(value.to_owned()),
                "root" => root = Some(PathBuf::from(value)),
                "pid" => pid = Some(value.parse().with_context(|| format!("pid={value}"))?),
                "only" => {
                    let names: Vec<String> = value.split('+').map(str::to_owned).collect();
                    if let Some(unknown) = names
                        .iter()
                        .find(|n| !crate::scenarios::ALL.contains(&n.as_str()))
                    {
                        bail!("only={value}: unknown scenario {unknown}");
                    }
                    only = Some(names);
                }
                "tls" => {
                    tls = match value {
                        "on" | "yes" | "true" => true,
                        "off" | "no" | "false" => false,
                        _ => bail!("tls={value}: on or off"),
                    }
                }
                _ => bail!(
                    "--target: unknown key {key} (name, addr, user, password, root, pid, tls, only)"
                ),
            }
        }
        let missing = |what: &str| format!("--target {spec}: {what}= is missing");
        let target = Self {
            name: name.with_context(|| missing("name"))?,
            addr: addr.with_context(|| missing("addr"))?,
            user: user.with_context(|| missing("user"))?,
            password: password.with_context(|| missing("password"))?,
            root: root.with_context(|| missing("root"))?,
            pid: pid.with_context(|| missing("pid"))?,
            tls,
            only,
            _server: None,
        };
        if !target.root.is_dir() {
            bail!(
                "{}: root {} is not a directory",
                target.name,
                target.root.display()
            );
        }
        if proctree::cpu_seconds(target.pid).is_none() {
            bail!("{}: no process {} in /proc", target.name, target.pid);
        }
        Ok(target)
    }

    /// Whether `case` is measured against this server.
    pub fn takes_part(&self, case: &crate::scenarios::Case) -> bool {
        self.only
            .as_ref()
            .is_none_or(|names| names.iter().any(|n| n == case.scenario()))
    }

    /// Restarts the built-in server (a fresh process on the same root);
    /// a running server given with `--target` is left as it is.
    pub async fn restart_builtin(&mut self) -> Result<()> {
        if let Some(server) = &mut self._server {
            server.restart().await?;
            self.addr = server.addr;
            self.pid = server.pid().context("wharfd has no pid")?;
        }
        Ok(())
    }

    /// CPU seconds used so far by the server's process tree.
    pub fn cpu_seconds(&self) -> Option<f64> {
        proctree::cpu_seconds(self.pid)
    }

    /// Resident memory of the server's process tree, in KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        proctree::rss_kib(self.pid)
    }

    /// Processes in the server's tree now (1 for a server that does not
    /// fork).
    pub fn process_count(&self) -> usize {
        proctree::process_count(self.pid)
    }

    /// Writes the scenarios' inputs into the server's root, unless they are
    /// there already: `big.bin` of `size` bytes and `many/` with `files`
    /// empty files. With `shared`, another target's `big.bin`, it links
    /// that file instead of writing its own (falling back to a copy of its
    /// own across file systems): every server then reads the same pages,
    /// and where in memory a file landed is not part of a ratio. Two
    /// identical wharfd, each with a file of its own, differed by a median
    /// 7 % a download (docs/performance/profile-retr.md).
    pub fn prepare(&self, size: u64, files: usize, shared: Option<&Path>) -> Result<()> {
        let big = self.big_file();
        if !holds(&big, size, shared) {
            let linked = shared.is_some_and(|source| {
                let _ = std::fs::remove_file(&big);
                std::fs::hard_link(source, &big).is_ok()
            });
            if !linked {
                let len = usize::try_from(size).context("--size-mib too large")?;
                std::fs::write(&big, vec![0xa5u8; len])
                    .with_context(|| format!("write {}", big.display()))?;
            }
        }
        let many = self.root.join("many");
        std::fs::create_dir_all(&many)?;
        for i in 0..files {
            let path = many.join(format!("file-{i:05}.dat"));
            if !path.exists() {
                std::fs::write(&path, b"")?;
            }
        }
        Ok(())
    }

    /// The file retr-big downloads.
    pub fn big_file(&self) -> PathBuf {
        self.root.join("big.bin")
    }
}

/// Whether `big` is already the input: `size` bytes, and `shared`
/// itself when there is one.
fn holds(big: &Path, size: u64, shared: Option<&Path>) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(big) else {
        return false;
    };
    let same = |source: &Path| {
        std::fs::metadata(source).is_ok_and(|s| (s.dev(), s.ino()) == (meta.dev(), meta.ino()))
    };
    meta.len() == size && shared.is_none_or(same)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    fn target(root: &Path) -> Target {
        let spec = format!(
            "name=t,addr=127.0.0.1:21,user=u,password=p,root={},pid=1",
            root.display()
        );
        Target::parse(&spec).expect("a valid --target")
    }

    fn inode(path: &Path) -> (u64, u64) {
        let meta = std::fs::metadata(path).expect("the file exists");
        (meta.dev(), meta.ino())
    }

    #[test]
    fn later_targets_share_the_first_targets_big_file() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let roots: Vec<PathBuf> = ["a", "b"].iter().map(|n| dir.path().join(n)).collect();
        for root in &roots {
            std::fs::create_dir(root).expect("a root");
        }
        let (first, second) = (target(&roots[0]), target(&roots[1]));
        // The second root already holds a file of the right size, but its own.
        std::fs::write(second.big_file(), vec![0u8; 4096]).expect("a stale input");

        first
            .prepare(4096, 2, None)
            .expect("the first target's inputs");
        let shared = first.big_file();
        second
            .prepare(4096, 2, Some(&shared))
            .expect("the second's");
        assert_eq!(inode(&second.big_file()), inode(&shared));
        assert_eq!(
            std::fs::read(second.big_file()).expect("read"),
            vec![0xa5u8; 4096]
        );
        assert!(second.root.join("many/file-00001.dat").exists());

        // Prepared again, the linked file stays as it is.
        second
            .prepare(4096, 2, Some(&shared))
            .expect("prepared again");
        assert_eq!(inode(&second.big_file()), inode(&shared));
    }
}
