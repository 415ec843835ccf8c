//! `small-files`: clients loop STOR of 4 KiB + RETR + DELE on names of
//! their own for a fixed time; one operation is the three together. Over
//! FTPS each operation opens two data connections, so the data handshake
//! (resumed or not) is most of what the TLS variant measures.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use futures_util::future::try_join_all;
use tokio::io::AsyncWriteExt;
use tokio_rustls::TlsConnector;

use super::Settings;
use super::transfer::sink;
use crate::client::Client;
use crate::stats::{Cpu, Measure};
use crate::target::Target;

const FILE_SIZE: usize = 4096;

/// Numbers runs, so that no two runs use the same file names.
static RUN: AtomicU64 = AtomicU64::new(0);

/// One operation: STOR `name`, RETR it back, DELE it.
pub(crate) async fn operation(client: &mut Client, name: &str, payload: &[u8]) -> Result<()> {
    let mut data = client.transfer(&format!("STOR {name}")).await?;
    data.write_all(payload).await?;
    Client::end_upload(data).await?;
    client.finish().await?;
    let data = client.transfer(&format!("RETR {name}")).await?;
    let got = sink(data, FILE_SIZE * 2).await?;
    client.finish().await?;
    ensure!(
        got == payload.len() as u64,
        "RETR {name} gave {got} bytes of {}",
        payload.len()
    );
    client.command(&format!("DELE {name}"), 250).await?;
    Ok(())
}

/// `clients` sessions (FTPS with `tls`) loop operations for
/// `settings.seconds`.
pub async fn small_files(
    target: &Target,
    settings: &Settings,
    clients: usize,
    tls: Option<TlsConnector>,
) -> Result<Measure> {
    let run = RUN.fetch_add(1, Ordering::Relaxed);
    let prefix = format!("sf-{}-{run}", std::process::id());
    let mut sessions = Vec::with_capacity(clients);
    for i in 0..clients {
        let source = settings.source(i);
        let (user, password) = (&target.user, &target.password);
        sessions.push(Client::open(target.addr, source, user, password, tls.clone()).await?);
    }
    let payload = vec![0x3cu8; FILE_SIZE];
    let cpu = Cpu::read(target.cpu_seconds());
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(settings.seconds);
    let per_client = try_join_all(sessions.iter_mut().enumerate().map(|(i, client)| {
        let (payload, prefix) = (&payload, &prefix);
        async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let name = format!("{prefix}-{i}-{}.bin", latencies.len());
                let op = Instant::now();
                operation(client, &name, payload).await?;
                latencies.push(op.elapsed().as_secs_f64() * 1000.0);
            }
            anyhow::Ok(latencies)
        }
    }))
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    // While the sessions are open (see `transfer::retr_big`).
    let cpu_after = Cpu::read(target.cpu_seconds());
    drop(sessions);
    let latencies: Vec<f64> = per_client.into_iter().flatten().collect();
    Ok(Measure::of_loop(&latencies, seconds, cpu, cpu_after))
}
