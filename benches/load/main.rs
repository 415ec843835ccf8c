//! `wharf-load`: the performance issue's load scenarios against real FTP
//! servers on loopback. By default it starts a release `wharfd` itself;
//! with `--target` it also drives servers that are already running
//! (vsftpd, Pure-FTPd, pyftpdlib: `benches/compare.sh` sets them up) and
//! runs every case against each server in turn, repetition after
//! repetition, so that the ratios hold on a noisy machine. Server CPU is
//! read from /proc over each server's whole process tree. With `--blob`,
//! it also runs the blob rows: a wharfd on Azure Blob Storage against
//! Microsoft's SDK on the same store (see `blob`).
//!
//! ```sh
//! cargo build --release -p wharfd -p wharf-benches
//! target/release/wharf-load --size-mib 1024 --repeat 3
//! target/release/wharf-load --scenarios retr-big,small-files --seconds 5 \
//!     --target name=vsftpd,addr=127.0.0.1:2121,user=u,password=p,root=/srv/ftp,pid=1234
//! ```
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs,
    unreachable_pub
)]

mod blob;
mod client;
mod machine;
mod proctree;
mod report;
mod scenarios;
mod server;
mod stats;
mod target;

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;

use crate::report::{CaseResult, Row};
use crate::scenarios::Settings;
use crate::target::Target;

/// Load scenarios against wharfd and, with --target, other FTP servers on
/// loopback; one table of medians, ranges, server CPU and ratios.
#[derive(Parser)]
#[command(name = "wharf-load")]
struct Args {
    /// Scenarios to run, comma-separated: tcp-raw, retr-big, retr-big-curl,
    /// retr-big-tls, stor-big, stor-big-tls, small-files, small-files-tls,
    /// login-rate, list-big, idle-sessions (default: all).
    #[arg(long, value_delimiter = ',')]
    scenarios: Vec<String>,
    /// Size of each big transfer, in MiB. A GiB keeps a 1-client download
    /// (about half a second here) long past TCP's ramp-up, and its CPU
    /// figures, counted in 1/100 s, at about 1 %.
    #[arg(long, default_value_t = 1024)]
    size_mib: u64,
    /// Runs of every case against every server, alternating; above 1,
    /// three times as many for a single connection's big transfer.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Length of small-files and login-rate runs, in seconds.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Sessions idle-sessions holds open at once.
    #[arg(long, default_value_t = 5000)]
    idle_sessions: usize,
    /// Files in the directory list-big lists.
    #[arg(long, default_value_t = 10_000)]
    list_files: usize,
    /// Loopback source addresses (127.0.0.2 and up) the clients are spread
    /// over, for servers that limit sessions per address; 0 for none.
    #[arg(long, default_value_t = 16)]
    sources: u8,
    /// A running server to measure too:
    /// name=N,addr=IP:PORT,user=U,password=P,root=DIR,pid=PID[,tls=on];
    /// repeat for several.
    #[arg(long = "target")]
    targets: Vec<String>,
    /// Do not start the built-in wharfd (measure --target servers only).
    #[arg(long)]
    no_wharfd: bool,
    /// The wharfd binary for the built-in target (default: next to this
    /// binary).
    #[arg(long)]
    server: Option<PathBuf>,
    /// The built-in wharfd's TLS certificate chain (PEM), with
    /// --server-key; without them it makes a self-signed one.
    #[arg(long, requires = "server_key")]
    server_cert: Option<PathBuf>,
    /// The private key (PEM) for --server-cert.
    #[arg(long, requires = "server_cert")]
    server_key: Option<PathBuf>,
    /// wharfd on Azure Blob Storage, for the blob rows (blob-stor,
    /// blob-retr, blob-small-files, blob-list; `blob` for all, the default
    /// with this flag):
    /// addr=IP:PORT,user=ACCOUNT,password=KEY,pid=PID,store-pid=PID,container=C,endpoint=URL.
    #[arg(long)]
    blob: Option<String>,
    /// The SDK side of the blob rows: the command that runs
    /// benches/peers/azure_sdk_bench.py (split at whitespace).
    #[arg(long)]
    blob_sdk: Option<String>,
    /// Small files of the blob-small-files row.
    #[arg(long, default_value_t = 200)]
    blob_files: usize,
    /// Blobs in the folder blob-list lists.
    #[arg(long, default_value_t = 5000)]
    blob_list: usize,
}

/// Raises the soft limit on open files to the hard one: idle-sessions
/// holds thousands of connections. Returns the limit now in force.
fn raise_open_files() -> Result<u64> {
    rlimit::increase_nofile_limit(u64::MAX).context("raise RLIMIT_NOFILE")
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args = Args::parse();
    let selected: Vec<String> = if args.scenarios.is_empty() {
        let mut all: Vec<String> = scenarios::ALL.iter().map(|s| (*s).to_owned()).collect();
        if args.blob.is_some() {
            all.push("blob".to_owned());
        }
        all
    } else {
        args.scenarios.clone()
    };
    let (blob_kinds, selected) = blob::split(&selected);
    let cases = scenarios::cases(&selected, args.idle_sessions)?;
    let blob = match &args.blob {
        Some(spec) if !blob_kinds.is_empty() => Some(blob::Config {
            target: blob::BlobTarget::parse(spec)?,
            sdk: blob::Sdk::new(
                args.blob_sdk
                    .as_deref()
                    .context("--blob needs --blob-sdk")?,
            )?,
            size: args.size_mib * 1024 * 1024,
            files: args.blob_files,
            listed: args.blob_list,
            repeat: args.repeat,
        }),
        Some(_) => None,
        None if blob_kinds.is_empty() => None,
        None => anyhow::bail!("the blob rows need --blob (benches/compare.sh sets it up)"),
    };
    let ftp = if cases.is_empty() {
        Ok(())
    } else {
        ftp_rows(&args, &selected, &cases).await
    };
    if let Some(config) = &blob {
        println!("{}", blob::run(config, &blob_kinds).await?);
    }
    ftp
}

/// The FTP scenarios against wharfd and the `--target` servers: runs
/// them and prints their table.
async fn ftp_rows(args: &Args, selected: &[String], cases: &[scenarios::Case]) -> Result<()> {
    let open_files = raise_open_files()?;
    if selected.iter().any(|s| s == "idle-sessions") && open_files < args.idle_sessions as u64 + 256
    {
        eprintln!(
            "wharf-load: only {open_files} open files allowed (ulimit -Hn); idle-sessions will fail"
        );
    }

    let mut targets = Vec::new();
    if !args.no_wharfd {
        let binary = match &args.server {
            Some(path) => path.clone(),
            None => std::env::current_exe()?.with_file_name("wharfd"),
        };
        let max_sessions = (args.idle_sessions + 200).max(1000);
        let cert = match (&args.server_cert, &args.server_key) {
            (Some(chain), Some(key)) => Some(server::ServerCert {
                chain: chain.clone(),
                key: key.clone(),
            }),
            _ => None,
        };
        targets.push(Target::builtin(&binary, max_sessions, cert).await?);
    }
    for spec in &args.targets {
        targets.push(Target::parse(spec)?);
    }
    anyhow::ensure!(!targets.is_empty(), "no server to measure");
    let size = args.size_mib * 1024 * 1024;
    let mut shared: Option<std::path::PathBuf> = None;
    for target in &targets {
        target
            .prepare(size, args.list_files, shared.as_deref())
            .with_context(|| format!("{}: writing the input files", target.name))?;
        shared.get_or_insert_with(|| target.big_file());
    }
    let settings = Settings {
        size,
        seconds: args.seconds,
        list_files: args.list_files,
        sources: (0..args.sources)
            .map(|i| IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + i.min(250))))
            .collect(),
        connector: client::tls_connector()?,
    };
    let names: Vec<String> = targets.iter().map(|t| t.name.clone()).collect();
    eprintln!(
        "wharf-load: {} MiB per big transfer, {} s loops, {} repetitions ({} of a 1-client \
         big transfer); servers: {}",
        args.size_mib,
        args.seconds,
        args.repeat,
        scenarios::single_transfer_repetitions(args.repeat),
        names.join(", ")
    );

    let mut results = Vec::new();
    for case in cases {
        let mut raw = Row::new("tcp-raw");
        let mut rows: Vec<Row> = targets.iter().map(|t| Row::new(&t.name)).collect();
        let standalone_raw = case.kind == scenarios::Kind::TcpRaw;
        if case.kind == scenarios::Kind::StorBig {
            warm_up(case, &targets, &settings).await;
        }
        for repetition in 0..case.repetitions(args.repeat) {
            if case.with_raw || standalone_raw {
                record(&mut raw, "tcp-raw", case, scenarios::tcp_raw(size).await);
            }
            if standalone_raw {
                continue;
            }
            // Each repetition starts with the next server, so that none is
            // always first after a pause or always right behind another.
            for k in 0..targets.len() {
                let i = (repetition + k) % targets.len();
                if case.kind == scenarios::Kind::IdleSessions
                    && let Err(e) = targets[i].restart_builtin().await
                {
                    record(&mut rows[i], &targets[i].name, case, Err(e));
                    continue;
                }
                let target = &targets[i];
                if !target.takes_part(case) {
                    continue;
                }
                if case.tls && !target.tls {
                    rows[i].skipped = Some("no TLS");
                    continue;
                }
                let limit = case.time_limit(&settings);
                client::take_data_handshakes();
                let run = scenarios::run(case, target, &settings);
                let measured = match tokio::time::timeout(limit, run).await {
                    Ok(result) => result,
                    Err(_) => Err(anyhow::anyhow!("no result within {} s", limit.as_secs())),
                };
                let (resumed, all) = client::take_data_handshakes();
                rows[i].resumed.0 += resumed;
                rows[i].resumed.1 += all;
                record(&mut rows[i], &target.name, case, measured);
            }
        }
        // A server that does not take part in the case has no row in it.
        let mut taking_part = targets.iter().map(|t| t.takes_part(case));
        rows.retain(|_| taking_part.next().unwrap_or(true));
        if standalone_raw {
            rows = vec![raw];
        } else if case.with_raw {
            rows.push(raw);
        }
        results.push(CaseResult { case: *case, rows });
    }

    println!("{}", report::table(&results, &names[0]));
    let reference_failed = results
        .iter()
        .flat_map(|r| r.rows.iter())
        .any(|row| row.server == names[0] && !row.errors.is_empty());
    anyhow::ensure!(!reference_failed, "some runs against {} failed", names[0]);
    Ok(())
}

/// One unmeasured run of an upload case before its repetitions, against
/// the first server that takes part. Without it, in two full runs, the
/// first run of each 8-client upload case was 0.32-0.63x its server's
/// median, and the server in that first slot (wharfd, the first target)
/// carried it alone; with it the slot ran at the server's usual speed
/// (docs/performance/README.md). The cause, likely the first writes into
/// memory freed since the case before, is not traced.
async fn warm_up(case: &scenarios::Case, targets: &[Target], settings: &Settings) {
    let Some(target) = targets
        .iter()
        .find(|t| t.takes_part(case) && (t.tls || !case.tls))
    else {
        return;
    };
    let run = scenarios::run(case, target, settings);
    let failed = match tokio::time::timeout(case.time_limit(settings), run).await {
        Ok(Ok(_)) => None,
        Ok(Err(e)) => Some(format!("{e:#}")),
        Err(_) => Some("no result in time".to_owned()),
    };
    if let Some(why) = failed {
        eprintln!("  {} warm-up against {}: {why}", case.label(), target.name);
    }
}

/// Files one run's result under its row and says so on stderr.
fn record(row: &mut Row, server: &str, case: &scenarios::Case, result: Result<stats::Measure>) {
    match result {
        Ok(measure) => {
            eprintln!(
                "  {:<26} {server:<10} {:>10.2} {}",
                case.label(),
                measure.value,
                case.unit()
            );
            row.runs.push(measure);
        }
        Err(e) => {
            eprintln!("  {:<26} {server:<10} failed: {e:#}", case.label());
            row.errors.push(format!("{e:#}"));
        }
    }
}
