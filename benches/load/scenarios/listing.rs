//! `list-big`: LIST or MLSD of `many/`, a directory of 10,000 files; the
//! time from EPSV to the 226 of one listing, median of a few in a row.

use std::time::Instant;

use anyhow::{Result, ensure};
use tokio::io::AsyncReadExt;

use super::Settings;
use crate::client::Client;
use crate::stats::{Measure, cpu_per, median};
use crate::target::Target;

/// Listings per run; the run reports their median.
const LISTINGS: usize = 5;

/// `command` (LIST or MLSD) of `many/`, [`LISTINGS`] times in one session.
pub async fn list_big(target: &Target, settings: &Settings, command: &str) -> Result<Measure> {
    let mut client = Client::open(
        target.addr,
        settings.source(0),
        &target.user,
        &target.password,
        None,
    )
    .await?;
    let cpu = target.cpu_seconds();
    let mut times = Vec::with_capacity(LISTINGS);
    let mut buf = Vec::new();
    for _ in 0..LISTINGS {
        let started = Instant::now();
        let mut data = client.transfer(&format!("{command} many")).await?;
        buf.clear();
        data.read_to_end(&mut buf).await?;
        client.finish().await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        let lines = buf.iter().filter(|&&b| b == b'\n').count();
        ensure!(
            lines >= settings.list_files,
            "{command} gave {lines} lines for {} files",
            settings.list_files
        );
    }
    let cpu_after = target.cpu_seconds();
    Ok(Measure {
        value: median(&times).unwrap_or(f64::NAN),
        latency: None,
        cpu: cpu_per(cpu, cpu_after, LISTINGS as f64 / 1000.0),
        client_cpu: None,
        machine_cpu: None,
    })
}
