//! The wharfd side of each blob row: one FTP session to a wharfd that
//! serves an Azure Blob Storage account (`--azure-passthrough` on Azurite:
//! the account's containers are the top folders), doing what the SDK does
//! in `sdk.rs`. Nothing is on local disk; the inputs (`big.bin`, `many/`)
//! are put in the container by the SDK's `setup` before the first run.

use std::net::SocketAddr;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Kind, Measure};
use crate::client::Client;
use crate::proctree;
use crate::scenarios::{sink, small_file_operation};
use crate::stats::{GIB, MIB};

const CHUNK: usize = 1024 * 1024;

/// wharfd on a blob store, and the store:
/// `addr=IP:PORT,user=ACCOUNT,password=KEY,pid=PID,store-pid=PID,
/// container=C,endpoint=URL` (`endpoint` is the account's blob endpoint,
/// for the SDK's connection string).
pub struct BlobTarget {
    pub addr: SocketAddr,
    pub user: String,
    pub password: String,
    pid: u32,
    store_pid: u32,
    pub container: String,
    pub endpoint: String,
}

impl BlobTarget {
    /// Parses `--blob`.
    pub fn parse(spec: &str) -> Result<Self> {
        let mut fields = std::collections::HashMap::new();
        for field in spec.split(',') {
            let (key, value) = field
                .split_once('=')
                .with_context(|| format!("--blob: {field:?} is not key=value"))?;
            const KEYS: [&str; 7] = [
                "addr",
                "user",
                "password",
                "pid",
                "store-pid",
                "container",
                "endpoint",
            ];
            if !KEYS.contains(&key) {
                bail!("--blob: unknown key {key} ({})", KEYS.join(", "));
            }
            fields.insert(key, value);
        }
        let get = |key: &str| {
            fields
                .get(key)
                .copied()
                .with_context(|| format!("--blob: {key}= is missing"))
        };
        let target = Self {
            addr: get("addr")?.parse().context("--blob addr=")?,
            user: get("user")?.to_owned(),
            password: get("password")?.to_owned(),
            pid: get("pid")?.parse().context("--blob pid=")?,
            store_pid: get("store-pid")?.parse().context("--blob store-pid=")?,
            container: get("container")?.to_owned(),
            endpoint: get("endpoint")?.to_owned(),
        };
        for pid in [target.pid, target.store_pid] {
            ensure!(
                proctree::cpu_seconds(pid).is_some(),
                "--blob: no process {pid} in /proc"
            );
        }
        Ok(target)
    }

    /// The Azure connection string of the account, for the SDK.
    pub fn connection_string(&self) -> String {
        format!(
            "DefaultEndpointsProtocol=http;AccountName={};AccountKey={};BlobEndpoint={};",
            self.user, self.password, self.endpoint
        )
    }

    /// CPU seconds of wharfd and of the store so far.
    pub fn cpu(&self) -> (Option<f64>, Option<f64>) {
        (proctree::cpu_seconds(self.pid), self.store_cpu())
    }

    /// CPU seconds of the store so far.
    pub fn store_cpu(&self) -> Option<f64> {
        proctree::cpu_seconds(self.store_pid)
    }

    /// A logged-in session, TYPE I.
    async fn session(&self) -> Result<Client> {
        Client::open(self.addr, None, &self.user, &self.password, None).await
    }
}

/// A timed stretch of work: the wall clock and both CPU readings.
struct Clock {
    started: Instant,
    cpu: (Option<f64>, Option<f64>),
}

impl Clock {
    fn start(target: &BlobTarget) -> Self {
        Self {
            cpu: target.cpu(),
            started: Instant::now(),
        }
    }

    /// The measure of `work` units (GiB, 1,000 files, 1,000 listings) done
    /// since the start, whose headline figure is `value(seconds)`.
    fn stop(
        self,
        target: &BlobTarget,
        work: f64,
        value: impl Fn(f64) -> f64,
        latencies_ms: &[f64],
    ) -> Measure {
        let seconds = self.started.elapsed().as_secs_f64();
        let (wharfd, store) = target.cpu();
        let delta = |before: Option<f64>, after: Option<f64>| Some(after? - before?);
        let store_seconds = delta(self.cpu.1, store);
        Measure {
            value: value(seconds),
            latency: crate::stats::latency(latencies_ms),
            server_cpu: delta(self.cpu.0, wharfd).map(|c| c / work),
            store_cpu: store_seconds.map(|c| c / work),
            store_busy: store_seconds.map(|c| c / seconds),
        }
    }
}

/// Runs `kind` once through wharfd: `size` bytes for STOR and RETR,
/// `files` small files, a listing of `listed` entries.
pub async fn run(
    kind: Kind,
    target: &BlobTarget,
    size: u64,
    files: usize,
    listed: usize,
) -> Result<Measure> {
    let dir = format!("/{}", target.container);
    let mut client = target.session().await?;
    let measure = match kind {
        Kind::Stor => {
            let name = format!("{dir}/upload-ftp.bin");
            let buf = vec![0x5au8; CHUNK];
            let clock = Clock::start(target);
            let mut data = client.transfer(&format!("STOR {name}")).await?;
            let mut left = size;
            while left > 0 {
                let n = left.min(CHUNK as u64) as usize;
                data.write_all(&buf[..n]).await?;
                left -= n as u64;
            }
            Client::end_upload(data).await?;
            client.finish().await?;
            let measure = clock.stop(target, size as f64 / GIB, |s| size as f64 / MIB / s, &[]);
            let stored = client.size(&name).await?;
            ensure!(stored == size, "STOR stored {stored} bytes of {size}");
            client.command(&format!("DELE {name}"), 250).await?;
            measure
        }
        Kind::Retr => {
            let clock = Clock::start(target);
            let data = client.transfer(&format!("RETR {dir}/big.bin")).await?;
            let got = sink(data, CHUNK).await?;
            client.finish().await?;
            ensure!(got == size, "RETR gave {got} bytes of {size}");
            clock.stop(target, size as f64 / GIB, |s| size as f64 / MIB / s, &[])
        }
        Kind::SmallFiles => {
            let payload = vec![0x3cu8; super::SMALL_FILE];
            let mut latencies = Vec::with_capacity(files);
            let clock = Clock::start(target);
            for i in 0..files {
                let op = Instant::now();
                small_file_operation(&mut client, &format!("{dir}/small-ftp-{i}.bin"), &payload)
                    .await?;
                latencies.push(op.elapsed().as_secs_f64() * 1000.0);
            }
            clock.stop(
                target,
                files as f64 / 1000.0,
                |s| files as f64 / s,
                &latencies,
            )
        }
        Kind::List => {
            let clock = Clock::start(target);
            let mut data = client.transfer(&format!("LIST {dir}/many")).await?;
            let mut listing = Vec::new();
            data.read_to_end(&mut listing).await?;
            client.finish().await?;
            let measure = clock.stop(target, 1.0 / 1000.0, |s| s * 1000.0, &[]);
            let lines = listing.iter().filter(|&&b| b == b'\n').count();
            ensure!(
                lines == listed,
                "LIST gave {lines} lines for {listed} blobs"
            );
            measure
        }
    };
    client.quit().await?;
    Ok(measure)
}
