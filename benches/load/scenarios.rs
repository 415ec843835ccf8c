//! The scenarios: one client moves one big file, plain or over FTPS.

use std::time::Instant;

use anyhow::{Result, ensure};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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

/// RETR of a file of `size` bytes, data discarded.
pub async fn retr_big(server: &Server, size: u64, tls: bool) -> Result<Measure> {
    let mut client = client(server, tls).await?;
    let cpu = server.cpu_seconds();
    let started = Instant::now();
    let mut data = client.transfer("RETR big.bin").await?;
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let n = data.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
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
