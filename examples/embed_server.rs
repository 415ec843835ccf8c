//! Embedding the engine: an FTP server with its own `Authenticator` and its
//! own `Vfs`, served on loopback, then used once by a tiny client so the
//! example checks itself and exits.
//!
//! ```sh
//! cargo run -p wharf-examples --example embed_server
//! ```
//!
//! - `TokenAuth` logs users in by a per-user token instead of a password
//!   file, and gives each one a storage of their own.
//! - `ReadOnly<V>` wraps any back-end and refuses every change: the same
//!   seam serves a bucket, a database, or generated files.
#![allow(clippy::print_stdout)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use wharf_session::wharf_vfs::{
    DirStream, FileReader, MemoryFs, Metadata, Upload, VPath, Vfs, VfsError, WriteMode, async_trait,
};
use wharf_session::{AuthContext, AuthError, Authenticator, Login, Server};

/// Any back-end, with every change refused.
struct ReadOnly<V>(V);

#[async_trait]
impl<V: Vfs> Vfs for ReadOnly<V> {
    async fn metadata(&self, path: &VPath) -> Result<Metadata, VfsError> {
        self.0.metadata(path).await
    }

    async fn list(&self, path: &VPath) -> Result<DirStream, VfsError> {
        self.0.list(path).await
    }

    async fn open_read(&self, path: &VPath, offset: u64) -> Result<FileReader, VfsError> {
        self.0.open_read(path, offset).await
    }

    async fn create(&self, path: &VPath, _mode: WriteMode) -> Result<Box<dyn Upload>, VfsError> {
        Err(VfsError::permission_denied(path))
    }

    async fn mkdir(&self, path: &VPath) -> Result<(), VfsError> {
        Err(VfsError::permission_denied(path))
    }

    async fn rmdir(&self, path: &VPath) -> Result<(), VfsError> {
        Err(VfsError::permission_denied(path))
    }

    async fn remove_file(&self, path: &VPath) -> Result<(), VfsError> {
        Err(VfsError::permission_denied(path))
    }

    async fn rename(&self, from: &VPath, _to: &VPath) -> Result<(), VfsError> {
        Err(VfsError::permission_denied(from))
    }
}

/// Users log in with a token; each has a read-only storage of their own.
struct TokenAuth {
    users: HashMap<String, (String, Arc<dyn Vfs>)>,
}

#[async_trait]
impl Authenticator for TokenAuth {
    async fn authenticate(
        &self,
        user: &str,
        password: &[u8],
        context: &AuthContext,
    ) -> Result<Login, AuthError> {
        let (token, storage) = self.users.get(user).ok_or(AuthError::InvalidCredentials)?;
        if token.as_bytes() != password {
            return Err(AuthError::InvalidCredentials);
        }
        println!("login of {user} from {}", context.peer);
        // Writable as far as the session is concerned: the storage itself
        // refuses changes, and its refusal is what the client hears.
        Ok(Login::new(user, storage.clone(), true))
    }
}

/// A storage holding one file, written through the `Vfs` API before it is
/// made read-only.
async fn storage_with(name: &str, text: &str) -> anyhow::Result<Arc<dyn Vfs>> {
    let memory = MemoryFs::new();
    let mut upload = memory
        .create(&VPath::parse(name)?, WriteMode::Create)
        .await?;
    upload.write_all(text.as_bytes()).await?;
    upload.finish().await?;
    Ok(Arc::new(ReadOnly(memory)))
}

/// The smallest FTP client for the self-check: one reply per command.
struct Client {
    replies: BufReader<OwnedReadHalf>,
    commands: OwnedWriteHalf,
}

impl Client {
    async fn connect(address: SocketAddr) -> anyhow::Result<Self> {
        let (read, write) = TcpStream::connect(address).await?.into_split();
        let mut client = Self {
            replies: BufReader::new(read),
            commands: write,
        };
        client.reply().await?;
        Ok(client)
    }

    /// One reply (its last line, for a multi-line one).
    async fn reply(&mut self) -> anyhow::Result<String> {
        let mut line = String::new();
        loop {
            line.clear();
            if self.replies.read_line(&mut line).await? == 0 {
                bail!("the server closed the connection");
            }
            let bytes = line.as_bytes();
            if bytes.len() >= 4 && bytes[..3].iter().all(u8::is_ascii_digit) && bytes[3] == b' ' {
                return Ok(line.trim_end().to_owned());
            }
        }
    }

    async fn cmd(&mut self, line: &str) -> anyhow::Result<String> {
        self.commands
            .write_all(format!("{line}\r\n").as_bytes())
            .await?;
        let reply = self.reply().await?;
        println!("> {line}\n< {reply}");
        Ok(reply)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut users = HashMap::new();
    users.insert(
        "reader".to_owned(),
        (
            "t0ken".to_owned(),
            storage_with("/hello.txt", "Hello from a custom Vfs.\n").await?,
        ),
    );
    let server = Server::builder(TokenAuth { users })
        .listen("127.0.0.1:0".parse()?)
        .bind()
        .await?;
    let address = *server.local_addrs().first().context("no listener")?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));
    println!("serving on ftp://{address}");

    let mut client = Client::connect(address).await?;
    client.cmd("USER reader").await?;
    let logged_in = client.cmd("PASS t0ken").await?;
    anyhow::ensure!(logged_in.starts_with("230"), "login failed: {logged_in}");
    let epsv = client.cmd("EPSV").await?;
    let port: u16 = epsv
        .split('|')
        .nth(3)
        .context("a 229 reply with a port")?
        .parse()?;
    let mut data = TcpStream::connect((address.ip(), port)).await?;
    client.cmd("RETR hello.txt").await?;
    let mut text = String::new();
    data.read_to_string(&mut text).await?;
    client.reply().await?;
    print!("hello.txt: {text}");
    let refused = client.cmd("DELE hello.txt").await?;
    anyhow::ensure!(refused.starts_with("550"), "the read-only storage changed");
    client.cmd("QUIT").await?;

    let _ = stop.send(());
    serving.await??;
    anyhow::ensure!(
        text == "Hello from a custom Vfs.\n",
        "unexpected file: {text:?}"
    );
    Ok(())
}
