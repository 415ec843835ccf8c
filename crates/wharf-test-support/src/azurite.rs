//! Azurite (the Azure Blob emulator) for a library's unit tests: started
//! from the workspace's `.tools/` (`scripts/emulators install`) on a free
//! loopback port, killed on drop.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Azurite's well-known development account.
pub const ACCOUNT: &str = "devstoreaccount1";
/// Its key.
pub const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// A running Azurite blob service, killed on drop.
#[derive(Debug)]
pub struct Azurite {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Azurite {
    /// Starts Azurite in memory and waits (60 s at most) until it accepts.
    /// Panics when it is not installed or does not start: a test that
    /// needs it cannot run without it.
    #[allow(clippy::expect_used, clippy::panic)]
    pub fn start() -> Self {
        let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../.tools/azurite/node_modules/.bin/azurite-blob");
        assert!(
            bin.exists(),
            "{} is missing: run `scripts/emulators install`",
            bin.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new(&bin)
            .args(["--inMemoryPersistence", "--blobHost", "127.0.0.1"])
            .args(["--blobPort", &port.to_string()])
            .args(["--disableTelemetry", "--skipApiVersionCheck", "--silent"])
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
        let mut azurite = Self { child, port };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            let exited = azurite.child.try_wait().ok().flatten();
            assert!(exited.is_none(), "Azurite exited early: {exited:?}");
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "Azurite did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        azurite.port = port;
        azurite
    }

    /// The blob endpoint of `ACCOUNT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/{ACCOUNT}", self.port)
    }
}
