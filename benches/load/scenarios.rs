//! The scenarios: one client moves one big file, plain or over FTPS; and
//! `tcp-raw`, the same sink fed by a bare socket writer, which is as fast as
//! RETR could possibly go on this machine.

use std::time::Instant;

use anyhow::{Result, ensure};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::client::{Client, tls_connector};
use crate::server::{PASSWORD, Server, USER};

/// What one run measured.
pub struct Measure {
    pub mib_per_s: f64,
    /// Server CPU seconds per GiB moved, if /proc could be read.
    pub cpu_per_gib: Option<f64>,
}

const CHUNK: usize = 1024 * 1024;

async fn client(server: &Server, tls: bool) -> Result<Client> {
    let connector = if tls { Some(tls_connector()?) } else { None };
    Client::login(server.addr, USER, PASSWORD, connector).await
}

fn measure(bytes: u64, started: Instant, cpu_before: Option<f64>, server: &Server) -> Measure {
    let seconds = started.elapsed().as_secs_f64();
    let gib = bytes as f64 / (1024.0 * 1024.0 * 1024.0);
    Measure {
        mib_per_s: bytes as f64 / (1024.0 * 1024.0) / seconds,
        cpu_per_gib: cpu_before
            .zip(server.cpu_seconds())
            .map(|(a, b)| (b - a) / gib),
    }
}

/// Reads `data` to its end into one reused buffer; the byte count.
async fn sink(mut data: impl AsyncRead + Unpin) -> Result<u64> {
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let n = data.read(&mut buf).await?;
        if n == 0 {
            return Ok(total);
        }
        total += n as u64;
    }
}

/// RETR of a file of `size` bytes, data discarded.
pub async fn retr_big(server: &Server, size: u64, tls: bool) -> Result<Measure> {
    let mut client = client(server, tls).await?;
    let cpu = server.cpu_seconds();
    let started = Instant::now();
    let data = client.transfer("RETR big.bin").await?;
    let total = sink(data).await?;
    client.finish().await?;
    ensure!(total == size, "RETR gave {total} bytes of {size}");
    Ok(measure(total, started, cpu, server))
}

/// STOR of `size` bytes from a buffer; the size on disk is checked.
pub async fn stor_big(server: &Server, size: u64, tls: bool) -> Result<Measure> {
    let mut client = client(server, tls).await?;
    let buf = vec![0x5au8; CHUNK];
    let cpu = server.cpu_seconds();
    let started = Instant::now();
    let mut data = client.transfer("STOR upload.bin").await?;
    let mut left = size;
    while left > 0 {
        let n = left.min(CHUNK as u64) as usize;
        data.write_all(&buf[..n]).await?;
        left -= n as u64;
    }
    data.shutdown().await?;
    drop(data);
    client.finish().await?;
    let result = measure(size, started, cpu, server);
    let on_disk = std::fs::metadata(server.root.join("upload.bin"))?.len();
    ensure!(on_disk == size, "STOR stored {on_disk} bytes of {size}");
    Ok(result)
}

/// `size` bytes from a plain loopback socket, written by another thread
/// from memory in 1 MiB writes, into the sink RETR uses.
pub async fn tcp_raw(size: u64) -> Result<Measure> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        use std::io::Write;
        let (mut socket, _) = listener.accept()?;
        let buf = vec![0xa5u8; CHUNK];
        let mut left = size;
        while left > 0 {
            let n = left.min(CHUNK as u64) as usize;
            socket.write_all(&buf[..n])?;
            left -= n as u64;
        }
        Ok(())
    });
    let started = Instant::now();
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let total = sink(stream).await?;
    let seconds = started.elapsed().as_secs_f64();
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("the tcp-raw writer panicked"))??;
    ensure!(total == size, "tcp-raw gave {total} bytes of {size}");
    Ok(Measure {
        mib_per_s: total as f64 / (1024.0 * 1024.0) / seconds,
        cpu_per_gib: None,
    })
}
