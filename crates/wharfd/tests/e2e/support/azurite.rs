//! Azurite (the Azure Blob emulator), moto (S3) and fake-gcs-server (GCS)
//! for the bridge's end-to-end tests: started on a free loopback port from
//! `.tools/` (`scripts/emulators install`), killed on drop.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Azurite's well-known development account and key.
pub(crate) const ACCOUNT: &str = "devstoreaccount1";
pub(crate) const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// A storage emulator process on a loopback port, killed on drop.
pub(super) struct Emulator {
    pub(super) child: Child,
    pub(super) port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Emulator {
    /// Runs `.tools/<tool>` with `args(port)` in a fresh directory and waits
    /// (60 s at most) until the port accepts.
    pub(super) fn start(tool: &str, args: impl FnOnce(u16) -> Vec<String>) -> Self {
        let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../.tools")
            .join(tool);
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
        let mut child = Command::new(&bin)
            .args(args(port))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                child.try_wait().expect("test set-up").is_none(),
                "{tool} exited early"
            );
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{tool} did not start"
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

/// Azurite's blob service.
pub(crate) struct Azurite {
    pub(crate) port: u16,
    _process: Emulator,
}

/// Azurite's blob service on a free loopback port, with `storage` (in
/// memory, or `--location DIR`) and any other options first.
pub(super) fn start_azurite(options: &[&str]) -> Emulator {
    Emulator::start("azurite/node_modules/.bin/azurite-blob", |port| {
        let mut args: Vec<String> = options.iter().map(|&o| o.to_owned()).collect();
        args.extend(
            [
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                &port.to_string(),
                "--disableTelemetry",
                "--skipApiVersionCheck",
                "--silent",
            ]
            .map(str::to_owned),
        );
        args
    })
}

/// moto's S3 server on a free loopback port.
pub(super) fn start_moto() -> Emulator {
    Emulator::start("moto/bin/moto_server", |port| {
        ["-H", "127.0.0.1", "-p", &port.to_string()]
            .map(str::to_owned)
            .to_vec()
    })
}

impl Azurite {
    pub(crate) fn start() -> Self {
        let process = start_azurite(&["--inMemoryPersistence"]);
        Self {
            port: process.port,
            _process: process,
        }
    }

    /// The endpoint template for `--azure-endpoint`.
    pub(crate) fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/{{account}}", self.port)
    }
}

/// Azurite's blob service over HTTPS with `--oauth basic`: it takes
/// bearer tokens (checking their issuer, audience and lifetime, not their
/// signature) besides Shared Key and SAS. Its certificate is made here for
/// 127.0.0.1; `ca_file` is the PEM a client must trust.
pub(crate) struct AzuriteOAuth {
    pub(crate) port: u16,
    pub(crate) ca_file: PathBuf,
    _process: Emulator,
    _certs: tempfile::TempDir,
}

impl AzuriteOAuth {
    pub(crate) fn start() -> Self {
        let certs = tempfile::tempdir().expect("test set-up");
        let made = rcgen::generate_simple_self_signed(vec![
            "127.0.0.1".to_owned(),
            "localhost".to_owned(),
        ])
        .expect("test set-up");
        let cert = certs.path().join("azurite.pem");
        let key = certs.path().join("azurite.key");
        std::fs::write(&cert, made.cert.pem()).expect("test set-up");
        std::fs::write(&key, made.signing_key.serialize_pem()).expect("test set-up");
        let (cert_arg, key_arg) = (cert.display().to_string(), key.display().to_string());
        let process = start_azurite(&[
            "--inMemoryPersistence",
            "--oauth",
            "basic",
            "--cert",
            &cert_arg,
            "--key",
            &key_arg,
        ]);
        Self {
            port: process.port,
            ca_file: cert,
            _process: process,
            _certs: certs,
        }
    }

    /// The endpoint template for `--azure-endpoint`.
    pub(crate) fn endpoint(&self) -> String {
        format!("https://127.0.0.1:{}/{{account}}", self.port)
    }
}

/// moto's S3 server.
pub(crate) struct Moto {
    pub(crate) port: u16,
    _process: Emulator,
}

impl Moto {
    pub(crate) fn start() -> Self {
        let process = start_moto();
        Self {
            port: process.port,
            _process: process,
        }
    }
}

/// fake-gcs-server (Google Cloud Storage), in memory over plain HTTP. Its
/// XML API answers only requests addressed to its public host, so that is
/// its own loopback address, and so is the URL its upload sessions name.
pub(crate) struct FakeGcs {
    pub(crate) port: u16,
    _process: Emulator,
}

impl FakeGcs {
    pub(crate) fn start() -> Self {
        let process = Emulator::start("fake-gcs/bin/fake-gcs-server", |port| {
            let address = format!("127.0.0.1:{port}");
            [
                "-scheme",
                "http",
                "-host",
                "127.0.0.1",
                "-port",
                &port.to_string(),
                "-backend",
                "memory",
                "-log-level",
                "error",
                "-public-host",
                &address,
                "-external-url",
                &format!("http://{address}"),
            ]
            .map(str::to_owned)
            .to_vec()
        });
        Self {
            port: process.port,
            _process: process,
        }
    }

    /// The endpoint for `--gcs-endpoint`.
    pub(crate) fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}
