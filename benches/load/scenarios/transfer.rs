//! Big transfers: N clients each RETR `big.bin` (data discarded) or STOR a
//! file of the same size from memory, plain or over FTPS; and `tcp-raw`,
//! the same sink fed by a bare socket writer, which is as fast as RETR
//! could possibly go on this machine.

use std::time::Instant;

use anyhow::{Result, ensure};
use futures_util::future::try_join_all;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;

use super::Settings;
use crate::client::Client;
use crate::stats::{Cpu, Measure};
use crate::target::Target;

const CHUNK: usize = 1024 * 1024;

/// Reads `data` to its end into one reused buffer; the byte count.
pub(crate) async fn sink(mut data: impl AsyncRead + Unpin, chunk: usize) -> Result<u64> {
    let mut buf = vec![0u8; chunk];
    let mut total = 0u64;
    loop {
        let n = data.read(&mut buf).await?;
        if n == 0 {
            return Ok(total);
        }
        total += n as u64;
    }
}

/// `clients` logged-in sessions, ready for transfers.
async fn sessions(
    target: &Target,
    settings: &Settings,
    clients: usize,
    tls: Option<TlsConnector>,
) -> Result<Vec<Client>> {
    let mut sessions = Vec::with_capacity(clients);
    for i in 0..clients {
        sessions.push(
            Client::open(
                target.addr,
                settings.source(i),
                &target.user,
                &target.password,
                tls.clone(),
            )
            .await?,
        );
    }
    Ok(sessions)
}

fn measure(bytes: u64, started: Instant, before: Cpu, target: &Target) -> Measure {
    let seconds = started.elapsed().as_secs_f64();
    let after = Cpu::read(target.cpu_seconds());
    Measure::of_transfer(bytes, seconds, before, after)
}

/// Each of `clients` sessions RETRs `big.bin` at once.
pub async fn retr_big(
    target: &Target,
    settings: &Settings,
    clients: usize,
    tls: Option<TlsConnector>,
) -> Result<Measure> {
    let size = settings.size;
    let mut sessions = sessions(target, settings, clients, tls).await?;
    let cpu = Cpu::read(target.cpu_seconds());
    let started = Instant::now();
    try_join_all(sessions.iter_mut().map(|client| async move {
        let data = client.transfer("RETR big.bin").await?;
        let total = sink(data, CHUNK).await?;
        client.finish().await?;
        ensure!(total == size, "RETR gave {total} bytes of {size}");
        Ok(())
    }))
    .await?;
    // Read the CPU while the sessions are still open: a forking server's
    // session processes end when they close, and what they used can be
    // missing from the tree's sum until their parent has reaped them.
    let result = measure(size * clients as u64, started, cpu, target);
    drop(sessions);
    Ok(result)
}

/// Each of `clients` sessions STORs its own `upload-N.bin` of the big
/// size at once; sizes are checked with SIZE afterwards and the files
/// removed.
pub async fn stor_big(
    target: &Target,
    settings: &Settings,
    clients: usize,
    tls: Option<TlsConnector>,
) -> Result<Measure> {
    let size = settings.size;
    let mut sessions = sessions(target, settings, clients, tls).await?;
    let buf = vec![0x5au8; CHUNK];
    let cpu = Cpu::read(target.cpu_seconds());
    let started = Instant::now();
    try_join_all(sessions.iter_mut().enumerate().map(|(i, client)| {
        let buf = &buf;
        async move {
            let mut data = client.transfer(&format!("STOR upload-{i}.bin")).await?;
            let mut left = size;
            while left > 0 {
                let n = left.min(CHUNK as u64) as usize;
                data.write_all(&buf[..n]).await?;
                left -= n as u64;
            }
            Client::end_upload(data).await?;
            client.finish().await
        }
    }))
    .await?;
    let result = measure(size * clients as u64, started, cpu, target);
    for (i, client) in sessions.iter_mut().enumerate() {
        let name = format!("upload-{i}.bin");
        let stored = client.size(&name).await?;
        ensure!(
            stored == size,
            "STOR {name} stored {stored} bytes of {size}"
        );
        // Not through DELE: some servers are slow to delete big files, and
        // that is not what is measured.
        std::fs::remove_file(target.root.join(&name))?;
    }
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
    let before = Cpu::read(None);
    let started = Instant::now();
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let total = sink(stream, CHUNK).await?;
    let seconds = started.elapsed().as_secs_f64();
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("the tcp-raw writer panicked"))??;
    ensure!(total == size, "tcp-raw gave {total} bytes of {size}");
    // No server: the client's CPU is writer and reader both, the whole
    // loopback cost of the bytes.
    let after = Cpu::read(None);
    Ok(Measure::of_transfer(total, seconds, before, after))
}
