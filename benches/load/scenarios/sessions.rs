//! Sessions without transfers: `login-rate` (clients loop connect, USER,
//! PASS, QUIT for a fixed time) and `idle-sessions` (thousands of
//! logged-in sessions held open at once; the server's memory per session).

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use futures_util::future::{join_all, try_join_all};
use tokio::sync::Semaphore;

use super::Settings;
use crate::client::Client;
use crate::stats::{Cpu, Measure, cpu_per};
use crate::target::Target;

/// Logins in flight at once while `idle-sessions` opens its sessions.
const OPENING_AT_ONCE: usize = 32;

/// `clients` loop whole sessions for `settings.seconds`; one operation is
/// connect to the 221 of QUIT.
pub async fn login_rate(target: &Target, settings: &Settings, clients: usize) -> Result<Measure> {
    let cpu = Cpu::read(target.cpu_seconds());
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(settings.seconds);
    let per_client = try_join_all((0..clients).map(|i| async move {
        let mut latencies = Vec::new();
        while Instant::now() < deadline {
            let op = Instant::now();
            let mut client = Client::connect(target.addr, settings.source(i), None).await?;
            client.log_in(&target.user, &target.password).await?;
            client.quit().await?;
            latencies.push(op.elapsed().as_secs_f64() * 1000.0);
        }
        anyhow::Ok(latencies)
    }))
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    let cpu_after = Cpu::read(target.cpu_seconds());
    let latencies: Vec<f64> = per_client.into_iter().flatten().collect();
    Ok(Measure::of_loop(&latencies, seconds, cpu, cpu_after))
}

/// Opens `count` logged-in sessions, spread over the source addresses,
/// and reads the growth of the server's resident memory while they idle.
///
/// One login comes first and is not counted: what a server spends once
/// (checking the password the first time, e.g. argon2's working memory)
/// is not memory per idle session.
pub async fn idle_sessions(target: &Target, settings: &Settings, count: usize) -> Result<Measure> {
    Client::open(
        target.addr,
        settings.source(0),
        &target.user,
        &target.password,
        None,
    )
    .await?
    .quit()
    .await?;
    let processes_before = target.process_count();
    let rss_before = target.rss_kib();
    let cpu = target.cpu_seconds();
    let gate = Semaphore::new(OPENING_AT_ONCE);
    let opened = join_all((0..count).map(|i| {
        let gate = &gate;
        async move {
            let _permit = gate.acquire().await?;
            let mut client = Client::connect(target.addr, settings.source(i), None).await?;
            client.log_in(&target.user, &target.password).await?;
            anyhow::Ok(client)
        }
    }))
    .await;
    let cpu_after = target.cpu_seconds();
    let mut sessions = Vec::with_capacity(count);
    let mut first_error = None;
    for result in opened {
        match result {
            Ok(client) => sessions.push(client),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    let result = match first_error {
        Some(e) => Err(e.context(format!("{} of {count} sessions logged in", sessions.len()))),
        None => {
            // Let the server finish whatever follows a login.
            tokio::time::sleep(Duration::from_secs(1)).await;
            match (rss_before, target.rss_kib()) {
                (Some(before), Some(after)) => Ok(Measure {
                    value: (after as f64 - before as f64) / count as f64,
                    latency: None,
                    cpu: cpu_per(cpu, cpu_after, count as f64 / 1000.0),
                    client_cpu: None,
                    machine_cpu: None,
                }),
                _ => Err(anyhow::anyhow!("cannot read the server's VmRSS")),
            }
        }
    };
    drop(sessions);
    // A forking server needs a moment to end the session processes; the
    // next run starts from a quiet server.
    let calm = Instant::now() + Duration::from_secs(30);
    while target.process_count() > processes_before {
        if Instant::now() > calm {
            bail!("the server still has session processes 30 s after they closed");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    result
}
