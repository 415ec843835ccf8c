//! `retr-big-curl`: `retr-big`'s download made by real clients, one `curl`
//! process per session, as N users are N processes. wharf-load's own
//! `retr-big` drives every session from one thread; on a machine whose two
//! cores the client shares with the servers, the client's rhythm decides
//! much of which server leads (docs/performance/profile-retr.md), so this
//! row shows the same download with the client most people script.
//!
//! The client CPU of these rows is curl's: the CPU of the children this
//! process reaped over the run.

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use futures_util::future::try_join_all;
use tokio::process::Command;

use super::Settings;
use crate::machine::busy_seconds;
use crate::proctree::reaped_children_cpu_seconds;
use crate::stats::{Cpu, Measure};
use crate::target::Target;

/// How long to wait, after the last curl, for a forking server to reap
/// the session processes its CPU is counted through.
const REAP_WAIT: Duration = Duration::from_secs(2);

/// `clients` curl processes each download `big.bin` at once, each in a
/// session of its own (passive, curl's default EPSV then PASV).
pub async fn retr_big_curl(
    target: &Target,
    settings: &Settings,
    clients: usize,
) -> Result<Measure> {
    let size = settings.size;
    let url = format!("ftp://{}/big.bin", target.addr);
    let processes = target.process_count();
    let before = Cpu {
        server: target.cpu_seconds(),
        client: reaped_children_cpu_seconds(),
        machine: busy_seconds(),
    };
    let started = Instant::now();
    try_join_all((0..clients).map(|i| {
        let mut curl = Command::new("curl");
        // No proxy from the environment: the server is on loopback.
        curl.args(["--silent", "--show-error", "--noproxy", "*"])
            .args(["--output", "/dev/null"])
            .args(["--write-out", "%{size_download}", "--user"])
            .arg(format!("{}:{}", target.user, target.password))
            .arg(&url)
            .stdin(Stdio::null())
            .kill_on_drop(true);
        // Servers that check the data connection's address take it from
        // the control connection: curl binds both to the one given.
        if let Some(source) = settings.source(i) {
            curl.arg("--interface").arg(source.to_string());
        }
        async move {
            let out = curl.output().await.context("cannot run curl")?;
            ensure!(
                out.status.success(),
                "curl: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            let got: u64 = String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse()
                .context("curl's byte count")?;
            ensure!(got == size, "curl's RETR gave {got} bytes of {size}");
            Ok(())
        }
    }))
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    let (client, machine) = (reaped_children_cpu_seconds(), busy_seconds());
    let deadline = Instant::now() + REAP_WAIT;
    while target.process_count() > processes && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let after = Cpu {
        server: target.cpu_seconds(),
        client,
        machine,
    };
    Ok(Measure::of_transfer(
        size * clients as u64,
        seconds,
        before,
        after,
    ))
}
