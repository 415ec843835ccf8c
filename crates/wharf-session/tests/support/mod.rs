//! A minimal FTP client on wharf-proto's `ClientCodec`, and a server on
//! `MemoryFs`, for the engine's integration tests.

#![allow(dead_code, unreachable_pub)] // Each test file uses a different part.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::timeout;
use tokio_util::codec::Framed;
use wharf_proto::codec::ClientCodec;
use wharf_proto::extended::parse_epsv_reply;
use wharf_proto::{Command, Reply};
use wharf_session::{AuthContext, AuthError, FnAuthenticator, Login, Options, Server};
use wharf_vfs::{MemoryFs, VPath, Vfs, WriteMode};

pub const WAIT: Duration = Duration::from_secs(10);

pub struct Client {
    pub control: Framed<TcpStream, ClientCodec>,
    pub addr: SocketAddr,
    /// The address the control connection comes from.
    pub local: SocketAddr,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Self {
        Self::connect_from(addr, None).await
    }

    /// Connects from `from` (a loopback address other than 127.0.0.1, for
    /// tests that need many client IPs), with address and port reuse so
    /// that a data listener can share the control connection's port.
    pub async fn connect_from(addr: SocketAddr, from: Option<IpAddr>) -> Self {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.set_reuseport(true).unwrap();
        let source = from.unwrap_or(IpAddr::from([127, 0, 0, 1]));
        socket.bind(SocketAddr::new(source, 0)).unwrap();
        let stream = timeout(WAIT, socket.connect(addr)).await.unwrap().unwrap();
        let local = stream.local_addr().unwrap();
        let mut client = Self {
            control: Framed::new(stream, ClientCodec::default()),
            addr,
            local,
        };
        assert_eq!(client.reply().await.code().get(), 220);
        client
    }

    pub async fn reply(&mut self) -> Reply {
        timeout(WAIT, self.control.next())
            .await
            .expect("a reply in time")
            .expect("the connection is open")
            .unwrap()
            .unwrap()
    }

    pub async fn cmd(&mut self, line: &str) -> Reply {
        self.control
            .send(Command::parse(line.as_bytes()).unwrap())
            .await
            .unwrap();
        self.reply().await
    }

    pub async fn login(addr: SocketAddr) -> Self {
        Self::login_from(addr, None).await
    }

    pub async fn login_from(addr: SocketAddr, from: Option<IpAddr>) -> Self {
        let mut client = Self::connect_from(addr, from).await;
        assert_eq!(client.cmd("USER u").await.code().get(), 331);
        assert_eq!(client.cmd("PASS p").await.code().get(), 230);
        client
    }

    /// EPSV and connect to the data port.
    pub async fn data(&mut self) -> TcpStream {
        self.data_with_port().await.0
    }

    /// EPSV and connect to the data port from the control connection's IP;
    /// also returns the port.
    pub async fn data_with_port(&mut self) -> (TcpStream, u16) {
        let reply = self.cmd("EPSV").await;
        assert_eq!(reply.code().get(), 229, "{reply}");
        let port = parse_epsv_reply(reply.lines()[0].as_bytes()).unwrap();
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::new(self.local.ip(), 0)).unwrap();
        let stream = socket
            .connect(SocketAddr::new(self.addr.ip(), port))
            .await
            .unwrap();
        (stream, port)
    }

    /// A listener on the control connection's own address and port, for
    /// the default data port (RFC 959: the server connects from L-1 to U).
    pub fn default_port_listener(&self) -> tokio::net::TcpListener {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.set_reuseport(true).unwrap();
        socket.bind(self.local).unwrap();
        socket.listen(4).unwrap()
    }
}

/// A running server whose logins all get `login(user)`; stopping it and
/// awaiting its task is the caller's job.
pub struct Running {
    pub addr: SocketAddr,
    pub stop: tokio::sync::oneshot::Sender<()>,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

pub async fn start(
    login: impl Fn(&str) -> Login + Send + Sync + 'static,
    options: Options,
) -> Running {
    start_on(login, options, "127.0.0.1:0".parse().unwrap()).await
}

/// A control address P whose P-1 (the default data port) is free and below
/// the kernel's ephemeral range, so no other socket can hold it meanwhile.
pub fn default_port_friendly() -> SocketAddr {
    let port = (10_000u16..20_000)
        .step_by(11)
        .find(|&p| {
            std::net::TcpListener::bind(("127.0.0.1", p)).is_ok()
                && std::net::TcpListener::bind(("127.0.0.1", p - 1)).is_ok()
        })
        .expect("a free control port with a free port below it");
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Like [`start`], listening on `addr`.
pub async fn start_on(
    login: impl Fn(&str) -> Login + Send + Sync + 'static,
    options: Options,
    addr: SocketAddr,
) -> Running {
    let auth = FnAuthenticator::new(move |user: &str, _: &[u8], _: &AuthContext| {
        Ok::<_, AuthError>(login(user))
    });
    let server = Server::builder(auth)
        .options(options)
        .listen(addr)
        .bind()
        .await
        .unwrap();
    let addr = server.local_addrs()[0];
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));
    Running { addr, stop, task }
}

pub async fn storage_with(name: &str, size: usize) -> Arc<dyn Vfs> {
    let vfs: Arc<dyn Vfs> = Arc::new(MemoryFs::new());
    let mut upload = vfs
        .create(&VPath::parse(name).unwrap(), WriteMode::Create)
        .await
        .unwrap();
    upload.write_all(&vec![7u8; size]).await.unwrap();
    upload.finish().await.unwrap();
    vfs
}

/// A MemoryFs holding `files`.
pub async fn storage_with_files(files: &[(String, Vec<u8>)]) -> Arc<dyn Vfs> {
    let vfs: Arc<dyn Vfs> = Arc::new(MemoryFs::new());
    for (name, data) in files {
        let path = VPath::parse(name).unwrap();
        let mut upload = vfs.create(&path, WriteMode::Create).await.unwrap();
        upload.write_all(data).await.unwrap();
        upload.finish().await.unwrap();
    }
    vfs
}

/// Reads a whole file back from `vfs`.
pub async fn read_back(vfs: &Arc<dyn Vfs>, name: &str) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut reader = vfs
        .open_read(&VPath::parse(name).unwrap(), 0)
        .await
        .unwrap();
    let mut out = Vec::new();
    reader.read_to_end(&mut out).await.unwrap();
    out
}

/// `n` consecutive ports free right now.
pub fn free_range(n: u16) -> std::ops::RangeInclusive<u16> {
    for base in (20_000u16..60_000).step_by(101) {
        if (base..base + n).all(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok()) {
            return base..=base + n - 1;
        }
    }
    panic!("no {n} consecutive free ports")
}

/// A port free right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
