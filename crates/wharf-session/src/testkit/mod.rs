//! Whole sessions in process, for the engine's own tests: a [`Harness`]
//! serves a [`MemoryFs`] through the real server, control and data
//! connections run over pipes ([`PipePorts`]), and a [`Client`] plays the
//! client line by line (TLS included). No socket is opened, so these tests
//! take milliseconds; wharfd's suites keep the real clients (curl, lftp,
//! ftplib) for interoperability.
//!
//! [`transcript!`](crate::transcript) states a session as a known answer:
//! each line and the reply codes it must get.
//!
//! The [`Setup`] chooses files, options, TLS and a [`ByteQuota`] for every
//! login; [`Harness::connect_implicit`] starts a client on implicit FTPS.

mod accounts;
mod client;
mod pipe_ports;
mod quota;
#[macro_use]
pub(crate) mod transcript;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use rustls::ClientConfig;
use wharf_vfs::testing::{path, read_file, write_file};
use wharf_vfs::{MemoryFs, Vfs};

use crate::options::Options;
use crate::server::Server;
use crate::tls::{CertificatePem, TlsConfig};
use accounts::Accounts;
pub(crate) use accounts::{ANONYMOUS, PERMITTED, RESTRICTED};
pub(crate) use client::{Client, DataStream, Exchange, text};
pub(crate) use pipe_ports::PipePorts;
pub(crate) use quota::ByteQuota;

/// The address every test client's control connection reaches.
pub(crate) const SERVER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 21);
/// The address test clients come from.
pub(crate) const CLIENT_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10));

/// The accounts of every harness: `a`/`s` may write, `r`/`s` may only
/// read, [`RESTRICTED`]/`s` may write from a few addresses, [`PERMITTED`]/`s`
/// holds the setup's path rules, [`ANONYMOUS`]
/// reads with any password; anything else is refused.
pub(crate) const PASSWORD: &str = "s";

/// What a harness starts with.
#[derive(Debug)]
pub(crate) struct Setup {
    pub(crate) options: Options,
    files: Vec<(String, Vec<u8>)>,
    dirs: Vec<String>,
    tls: bool,
    quota: Option<Arc<ByteQuota>>,
    observers: crate::observe::Observers,
    /// Bytes per second all logins' downloads share; `0`: unlimited.
    login_download_rate: u64,
    /// Virtual hosts (RFC 7151 HOST), named as a configuration writes
    /// them, each with the same accounts.
    virtual_hosts: Vec<String>,
    /// What [`PERMITTED`] may do where.
    rules: crate::PathRules,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            options: Options {
                // A failed login waits this long: the tests' own clock.
                failed_login_delay: Duration::from_millis(5),
                ..Options::default()
            },
            files: Vec::new(),
            dirs: Vec::new(),
            tls: false,
            quota: None,
            observers: crate::observe::Observers::default(),
            login_download_rate: 0,
            virtual_hosts: Vec::new(),
            rules: crate::PathRules::full(),
        }
    }
}

impl Setup {
    /// Files to create before the session, `(path, content)`.
    pub(crate) fn fs<P: AsRef<str>, C: AsRef<[u8]>>(
        &mut self,
        files: impl IntoIterator<Item = (P, C)>,
    ) {
        for (name, content) in files {
            self.files
                .push((name.as_ref().to_owned(), content.as_ref().to_vec()));
        }
    }

    /// Directories to create before the session.
    pub(crate) fn dirs<P: AsRef<str>>(&mut self, dirs: impl IntoIterator<Item = P>) {
        self.dirs
            .extend(dirs.into_iter().map(|d| d.as_ref().to_owned()));
    }

    /// Changes the server's options.
    pub(crate) fn options(&mut self, change: impl FnOnce(&mut Options)) {
        change(&mut self.options);
    }

    /// Serves FTPS with a certificate for `localhost`.
    pub(crate) fn tls(&mut self, on: bool) {
        self.tls = on;
    }

    /// Adds an observer to the server.
    pub(crate) fn observer(&mut self, observer: Arc<dyn crate::Observer>) {
        self.observers.push(observer);
    }

    /// Holds every login's downloads together to `rate` bytes per second.
    pub(crate) fn login_download_rate(&mut self, rate: u64) {
        self.login_download_rate = rate;
    }

    /// Gives [`PERMITTED`] these permissions.
    pub(crate) fn permissions(&mut self, rules: crate::PathRules) {
        self.rules = rules;
    }

    /// Attaches `quota` to every login.
    pub(crate) fn quota(&mut self, quota: Arc<ByteQuota>) {
        self.quota = Some(quota);
    }

    /// Adds virtual hosts of these names, with the usual accounts.
    pub(crate) fn virtual_hosts<N: AsRef<str>>(&mut self, names: impl IntoIterator<Item = N>) {
        self.virtual_hosts
            .extend(names.into_iter().map(|n| n.as_ref().to_owned()));
    }
}

/// A server on a memory file system, reachable only through pipes.
#[derive(Debug)]
pub(crate) struct Harness {
    /// Kept: dropping the server would shut its sessions down.
    server: Server,
    pub(crate) ports: Arc<PipePorts>,
    pub(crate) fs: Arc<MemoryFs>,
    /// Trusts the server's certificate, with FTPS on.
    client_tls: Option<Arc<ClientConfig>>,
    next_port: AtomicU16,
}

impl Harness {
    pub(crate) async fn start(setup: Setup) -> Self {
        let fs = Arc::new(MemoryFs::new());
        for dir in &setup.dirs {
            fs.mkdir(&path(dir)).await.unwrap();
        }
        for (name, content) in &setup.files {
            write_file(fs.as_ref(), &path(name), content).await;
        }
        let download_limit = crate::Throttle::new(setup.login_download_rate).map(Arc::new);
        let accounts = || Accounts {
            storage: fs.clone(),
            quota: setup.quota.clone(),
            download_limit: download_limit.clone(),
            rules: setup.rules.clone(),
        };
        let ports = Arc::new(PipePorts::default());
        let mut builder = Server::builder(accounts())
            .options(setup.options)
            .data_ports(ports.clone());
        for name in &setup.virtual_hosts {
            builder = builder.virtual_host(name, Arc::new(accounts()));
        }
        for observer in setup.observers.list() {
            builder = builder.observer(observer);
        }
        let mut client_tls = None;
        if setup.tls {
            let (server, client) = certificates();
            builder = builder.tls(server);
            client_tls = Some(client);
        }
        Self {
            server: builder.build().await.unwrap(),
            ports,
            fs,
            client_tls,
            next_port: AtomicU16::new(50_000),
        }
    }

    /// A client connected from [`CLIENT_IP`], past the greeting.
    pub(crate) async fn connect(&self) -> Client {
        self.connect_from(CLIENT_IP).await
    }

    /// A client connected from `ip`, past the greeting.
    pub(crate) async fn connect_from(&self, ip: IpAddr) -> Client {
        let mut client = self.open(ip, false);
        let greeting = client.reply().await;
        assert_eq!(greeting.code().get(), 220, "greeting: {greeting:?}");
        client
    }

    /// A client on implicit FTPS: TLS from the first byte, past the
    /// greeting, with data connections protected from the start.
    pub(crate) async fn connect_implicit(&self) -> Client {
        let mut client = self.open(CLIENT_IP, true);
        client.implicit_tls().await;
        let greeting = client.reply().await;
        assert_eq!(greeting.code().get(), 220, "greeting: {greeting:?}");
        client
    }

    /// A client whose connection the server has just taken; nothing read
    /// yet. `implicit` starts with TLS (implicit FTPS) on the server's side.
    pub(crate) fn open(&self, ip: IpAddr, implicit: bool) -> Client {
        let port = self.next_port.fetch_add(1, Ordering::Relaxed);
        let peer = SocketAddr::new(ip, port);
        let (ours, theirs) = tokio::io::duplex(64 * 1024);
        self.server
            .connections()
            .serve_link(crate::link::pipe(theirs), peer, SERVER, implicit);
        Client::new(ours, peer, self.ports.clone(), self.client_tls.clone())
    }

    /// The server's connections, for a reload.
    pub(crate) fn connections(&self) -> crate::Connections {
        self.server.connections()
    }

    /// How busy the server is.
    pub(crate) fn stats(&self) -> crate::ServerStats {
        self.server.connections().stats()
    }

    /// The content of `name` in the file system.
    pub(crate) async fn file(&self, name: &str) -> Vec<u8> {
        read_file(self.fs.as_ref(), &path(name), 0).await
    }

    /// Whether `name` exists.
    pub(crate) async fn exists(&self, name: &str) -> bool {
        self.fs.metadata(&path(name)).await.is_ok()
    }
}

/// A server certificate for `localhost`, and a client configuration that
/// trusts it (and so verifies it, as a real client would) and keeps the
/// tickets it gets in rustls's default session store.
pub(crate) fn certificates() -> (Arc<TlsConfig>, Arc<ClientConfig>) {
    certificates_for(rustls::DEFAULT_VERSIONS)
}

/// [`certificates`], the client speaking only `versions`.
pub(crate) fn certificates_for(
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> (Arc<TlsConfig>, Arc<ClientConfig>) {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let pem = CertificatePem {
        chain: generated.cert.pem().into_bytes(),
        key: generated.signing_key.serialize_pem().into_bytes(),
    };
    let server = Arc::new(TlsConfig::new(&pem).unwrap());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(generated.cert.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (server, Arc::new(client))
}
