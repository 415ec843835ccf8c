//! Test harness: starts Azurite, moto's S3 server or fake-gcs-server on a free loopback
//! port, waits until it answers, and kills it on drop. The binaries come
//! from `scripts/emulators install` (in `.tools/` at the workspace root).

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

pub mod proxy;
pub mod sub;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use wharf_blob::{BlobConfig, BlobFs, Store, View};
use wharf_vfs::{VPath, Vfs};

/// Azurite's well-known development account.
pub const AZURITE_ACCOUNT: &str = "devstoreaccount1";
/// Its key.
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
/// An extra Azurite account, declared through `AZURITE_ACCOUNTS`.
pub const EXTRA_ACCOUNT: &str = "wharfextra";
/// Its key (base64 of "wharf-extra-account-key-32bytes!").
pub const EXTRA_KEY: &str = "d2hhcmYtZXh0cmEtYWNjb3VudC1rZXktMzJieXRlcyE=";

/// The workspace's `.tools` directory.
fn tools() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools")
}

/// A running emulator, killed on drop.
pub struct Emulator {
    child: Child,
    pub port: u16,
    pub kind: Kind,
    _dir: tempfile::TempDir,
}

/// Which emulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Azurite,
    Moto,
    FakeGcs,
}

/// The GCS project the tests name (fake-gcs-server lists every bucket
/// whatever the project).
pub const GCS_PROJECT: &str = "wharf-test";

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first port [`free_port`] hands out and how many it cycles
/// through: below Linux's ephemeral ports (32768 and up by default).
const PORTS: (u16, u16) = (20_000, 12_000);

/// A free loopback port (bound, then released) for an emulator or a
/// deliberately dead endpoint. Each call of this process gets a port no
/// earlier call got, from below the ephemeral range: with `bind(0)`, two
/// tests starting emulators at once could be handed the same port, and
/// the second emulator, unable to bind, was taken for started while the
/// first answered for both (one test's container "already existed", and
/// its connections closed when the other test stopped its emulator).
pub fn free_port() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let (first, count) = PORTS;
    // Processes run one after another start at different places.
    let start = (std::process::id() % u32::from(count)) as u16;
    for _ in 0..count {
        let offset = NEXT.fetch_add(1, Ordering::Relaxed) % count;
        let port = first + (start + offset) % count;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in {first}..{}", first + count);
}

fn binary(relative: &str) -> PathBuf {
    let path = tools().join(relative);
    assert!(
        path.exists(),
        "{} is missing: run `scripts/emulators install` at the workspace root first",
        path.display()
    );
    path
}

fn wait_until_listening(child: &mut Child, port: u16, what: &str) {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited early with {status}");
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} did not start listening on port {port} within 60 s");
}

impl Emulator {
    /// Starts Azurite (blob service only, in memory) with an extra account.
    pub fn azurite() -> Self {
        let bin = binary("azurite/node_modules/.bin/azurite-blob");
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
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
            .env(
                "AZURITE_ACCOUNTS",
                format!("{AZURITE_ACCOUNT}:{AZURITE_KEY};{EXTRA_ACCOUNT}:{EXTRA_KEY}"),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn azurite-blob");
        wait_until_listening(&mut child, port, "azurite-blob");
        Self {
            child,
            port,
            kind: Kind::Azurite,
            _dir: dir,
        }
    }

    /// Starts moto's S3 server.
    pub fn moto() -> Self {
        let bin = binary("moto/bin/moto_server");
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p"])
            .arg(port.to_string())
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn moto_server");
        wait_until_listening(&mut child, port, "moto_server");
        Self {
            child,
            port,
            kind: Kind::Moto,
            _dir: dir,
        }
    }

    /// Starts fake-gcs-server in memory, over plain HTTP. Its XML API
    /// (object_store's reads) answers only requests whose `Host` is its
    /// public host, so that is its own address; so is the external URL
    /// that resumable upload sessions point to.
    pub fn fake_gcs() -> Self {
        let bin = binary("fake-gcs/bin/fake-gcs-server");
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let address = format!("127.0.0.1:{port}");
        let mut child = Command::new(bin)
            .args(["-scheme", "http", "-host", "127.0.0.1", "-port"])
            .arg(port.to_string())
            .args(["-backend", "memory", "-log-level", "error", "-public-host"])
            .arg(&address)
            .arg("-external-url")
            .arg(format!("http://{address}"))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn fake-gcs-server");
        wait_until_listening(&mut child, port, "fake-gcs-server");
        Self {
            child,
            port,
            kind: Kind::FakeGcs,
            _dir: dir,
        }
    }

    /// One emulator of `kind` for the whole test process, for suites of
    /// many small tests (the conformance suite runs one test per check,
    /// and an emulator each would cost seconds and memory apiece). A
    /// static is never dropped, so a watchdog stops the emulator, and
    /// removes its directory, once this test process has ended.
    pub fn shared(kind: Kind) -> &'static Emulator {
        static AZURITE: OnceLock<Emulator> = OnceLock::new();
        static MOTO: OnceLock<Emulator> = OnceLock::new();
        static FAKE_GCS: OnceLock<Emulator> = OnceLock::new();
        let (cell, start): (_, fn() -> Emulator) = match kind {
            Kind::Azurite => (&AZURITE, Emulator::azurite),
            Kind::Moto => (&MOTO, Emulator::moto),
            Kind::FakeGcs => (&FAKE_GCS, Emulator::fake_gcs),
        };
        cell.get_or_init(|| {
            let emulator = start();
            emulator.watch_parent();
            emulator
        })
    }

    /// Starts `sh` watching this process: when it is gone, the emulator is
    /// killed and its directory removed.
    // Never waited for on purpose: the watchdog must outlive this process,
    // and init reaps it.
    #[allow(clippy::zombie_processes)]
    fn watch_parent(&self) {
        const SCRIPT: &str = "while kill -0 \"$1\" 2>/dev/null; do sleep 1; done; \
            kill \"$2\" 2>/dev/null; sleep 1; kill -9 \"$2\" 2>/dev/null; rm -rf \"$3\"";
        Command::new("sh")
            .args(["-c", SCRIPT, "emulator-watchdog"])
            .arg(std::process::id().to_string())
            .arg(self.child.id().to_string())
            .arg(self._dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the emulator's watchdog (sh)");
    }

    /// The emulator's base URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The store and its default credentials.
    pub fn store(&self) -> Store {
        match self.kind {
            Kind::Azurite => Store::azure(
                format!("{}/{AZURITE_ACCOUNT}", self.url()),
                AZURITE_ACCOUNT,
                AZURITE_KEY,
            ),
            Kind::Moto => Store::s3(self.url(), "us-east-1", "testing", "testing"),
            // The emulator takes any token.
            Kind::FakeGcs => Store::gcs_at(
                self.url(),
                Some(GCS_PROJECT.to_string()),
                wharf_blob::GcsAuth::Token("emulator".to_string()),
            ),
        }
    }

    /// A configuration with short retries, so failing tests end quickly.
    pub fn config(&self, view: View) -> BlobConfig {
        BlobConfig::new(self.store(), view)
            .with_retries(2, Duration::from_millis(50))
            .with_timeouts(Duration::from_secs(5), Some(Duration::from_secs(60)))
    }

    /// A configuration signed with SAS `token` instead of the key.
    pub fn sas_config(&self, view: View, token: &str) -> BlobConfig {
        let token = wharf_blob::SasToken::parse(token).unwrap();
        self.config(view).with_store(Store::azure_sas(
            format!("{}/{AZURITE_ACCOUNT}", self.url()),
            AZURITE_ACCOUNT,
            token,
        ))
    }

    /// The account view.
    pub fn account(&self) -> BlobFs {
        BlobFs::new(self.config(View::Account)).unwrap()
    }

    /// Creates container `name` and returns a container view of it.
    pub async fn container(&self, name: &str) -> BlobFs {
        self.account()
            .mkdir(&path(&format!("/{name}")))
            .await
            .unwrap_or_else(|err| panic!("create container {name}: {err}"));
        BlobFs::new(self.config(View::Container(name.to_string()))).unwrap()
    }
}

/// A `VPath` from text.
pub fn path(text: &str) -> VPath {
    VPath::parse(text).unwrap()
}

/// `vfs` as the trait object the suite takes.
pub fn dyn_vfs(fs: BlobFs) -> Arc<dyn Vfs> {
    Arc::new(fs)
}

/// An anonymous HTTP/1.0 `GET` of `target` (path and query) on the
/// loopback `port`: the status and the body.
pub async fn http_get(port: u16, target: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let request = format!("GET {target} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}
