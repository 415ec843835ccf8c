//! Azurite (the Azure Blob emulator) for the bridge's end-to-end tests:
//! started on a free loopback port from `.tools/` (`scripts/emulators
//! install`), killed on drop.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Azurite's well-known development account and key.
pub(crate) const ACCOUNT: &str = "devstoreaccount1";
pub(crate) const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

pub(crate) struct Azurite {
    child: Child,
    pub(crate) port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Azurite {
    pub(crate) fn start() -> Self {
        let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../.tools/azurite/node_modules/.bin/azurite-blob");
        assert!(
            bin.exists(),
            "{} is missing: run `scripts/emulators install`",
            bin.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("test set-up")
            .local_addr()
            .expect("test set-up")
            .port();
        let dir = tempfile::tempdir().expect("test set-up");
        let mut child = Command::new(bin)
            .args([
                "--inMemoryPersistence",
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
            ])
            .arg(port.to_string())
            .args(["--disableTelemetry", "--skipApiVersionCheck", "--silent"])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start azurite-blob");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                child.try_wait().expect("test set-up").is_none(),
                "azurite-blob exited early"
            );
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "azurite-blob did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            port,
            _dir: dir,
        }
    }

    /// The endpoint template for `--azure-endpoint`.
    pub(crate) fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/{{account}}", self.port)
    }
}

/// moto's S3 server, started like Azurite.
pub(crate) struct Moto {
    child: Child,
    pub(crate) port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    pub(crate) fn start() -> Self {
        let bin =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools/moto/bin/moto_server");
        assert!(
            bin.exists(),
            "{} is missing: run `scripts/emulators install`",
            bin.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("test set-up")
            .local_addr()
            .expect("test set-up")
            .port();
        let dir = tempfile::tempdir().expect("test set-up");
        let mut child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p"])
            .arg(port.to_string())
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                child.try_wait().expect("test set-up").is_none(),
                "moto_server exited early"
            );
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "moto_server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            port,
            _dir: dir,
        }
    }
}
