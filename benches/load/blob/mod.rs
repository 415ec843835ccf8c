//! The blob rows: wharfd serving an Azure Blob Storage account (Azurite,
//! in memory) against Microsoft's own SDK doing the same against the same
//! Azurite, run after run, alternating which goes first. The SDK talks to
//! the store directly, so its figure is what the store gives: the ceiling
//! wharfd is held against (target: wharfd ≥ 0.9× the SDK).
//!
//! Rows: STOR of one big file from memory (FTP: of unknown length), RETR
//! of the same size, `files` small files over one session (STOR 4 KiB +
//! RETR + DELE each), and LIST of a folder of `listed` blobs.

mod ftp;
mod sdk;

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::{Result, bail};

pub use ftp::BlobTarget;
pub use sdk::Sdk;

use crate::stats::{median, min_max};

/// The scenario names `--scenarios` takes for these rows (`blob` for all).
pub const ALL: &[&str] = &["blob-stor", "blob-retr", "blob-small-files", "blob-list"];

/// Bytes of each small file, as in `small-files`.
const SMALL_FILE: usize = 4096;

/// One blob row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Stor,
    Retr,
    SmallFiles,
    List,
}

impl Kind {
    fn of(name: &str) -> Option<Self> {
        Some(match name {
            "blob-stor" => Self::Stor,
            "blob-retr" => Self::Retr,
            "blob-small-files" => Self::SmallFiles,
            "blob-list" => Self::List,
            _ => return None,
        })
    }

    fn label(self, size_mib: u64, files: usize, listed: usize) -> String {
        match self {
            Self::Stor => format!("blob STOR {size_mib} MiB"),
            Self::Retr => format!("blob RETR {size_mib} MiB"),
            Self::SmallFiles => format!("blob {files} small files, 1 session"),
            Self::List => format!("blob LIST of {listed}"),
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Self::Stor | Self::Retr => "MiB/s",
            Self::SmallFiles => "files/s",
            Self::List => "ms",
        }
    }

    fn cpu_unit(self) -> &'static str {
        match self {
            Self::Stor | Self::Retr => "s/GiB",
            Self::SmallFiles => "s/1k files",
            Self::List => "s/1k listings",
        }
    }
}

/// The blob rows among `selected` scenario names, in run order, and the
/// names that are not blob rows.
pub fn split(selected: &[String]) -> (Vec<Kind>, Vec<String>) {
    let mut others = Vec::new();
    let mut wanted = Vec::new();
    for name in selected {
        if name == "blob" {
            wanted.extend(ALL.iter().filter_map(|n| Kind::of(n)));
        } else if let Some(kind) = Kind::of(name) {
            wanted.push(kind);
        } else {
            others.push(name.clone());
        }
    }
    let kinds = ALL
        .iter()
        .filter_map(|n| Kind::of(n))
        .filter(|k| wanted.contains(k))
        .collect();
    (kinds, others)
}

/// One run of one side.
#[derive(Clone, Copy, Debug)]
pub struct Measure {
    /// In the row's unit.
    pub value: f64,
    /// p50 and p99 ms of one small file, when the row counts files.
    pub latency: Option<(f64, f64)>,
    /// wharfd's CPU per unit of work (none for the SDK).
    pub server_cpu: Option<f64>,
    /// The store's CPU per unit of work.
    pub store_cpu: Option<f64>,
    /// The store's CPU seconds per wall second: near 1 (Azurite is one
    /// Node.js thread), the store is the limit.
    pub store_busy: Option<f64>,
}

/// What the blob rows need.
pub struct Config {
    pub target: BlobTarget,
    pub sdk: Sdk,
    pub size: u64,
    pub files: usize,
    pub listed: usize,
    pub repeat: usize,
}

impl Config {
    /// How long one run of any row may take before it counts as failed:
    /// generous (1 MiB/s, a second per small file, 10 ms per listed blob),
    /// but every run ends.
    fn time_limit(&self) -> Duration {
        Duration::from_secs(120 + (self.size >> 20) + self.files as u64 + self.listed as u64 / 100)
    }
}

/// `run`, or an error once `limit` has passed.
async fn within<T>(limit: Duration, run: impl Future<Output = Result<T>>) -> Result<T> {
    match tokio::time::timeout(limit, run).await {
        Ok(result) => result,
        Err(_) => bail!("no result within {} s", limit.as_secs()),
    }
}

/// The runs of one row, per side.
struct Results {
    kind: Kind,
    wharfd: Vec<Measure>,
    sdk: Vec<Measure>,
    errors: Vec<String>,
}

/// Puts the inputs in the container, runs every row `repeat` times per
/// side, and returns the table. Fails if any wharfd run failed.
pub async fn run(config: &Config, kinds: &[Kind]) -> Result<String> {
    let (size, listed) = (config.size.to_string(), config.listed.to_string());
    eprintln!(
        "wharf-load: blob rows, putting big.bin and {} blobs into {} with the SDK",
        config.listed, config.target.container
    );
    // Uploading the inputs is several runs' worth of work.
    let limit = config.time_limit() * 4;
    let setup_args = [
        "--big",
        "big.bin",
        "--size",
        &size,
        "--list-prefix",
        "many/",
        "--list-count",
        &listed,
    ];
    within(limit, config.sdk.run(&config.target, "setup", &setup_args)).await?;
    let mut all = Vec::new();
    for &kind in kinds {
        let mut results = Results {
            kind,
            wharfd: Vec::new(),
            sdk: Vec::new(),
            errors: Vec::new(),
        };
        for repetition in 0..config.repeat {
            for side in 0..2 {
                let wharfd_turn = (repetition + side) % 2 == 0;
                let limit = config.time_limit();
                let (name, outcome) = if wharfd_turn {
                    let t = &config.target;
                    let run = ftp::run(kind, t, config.size, config.files, config.listed);
                    ("wharfd", within(limit, run).await)
                } else {
                    ("SDK", within(limit, sdk_run(config, kind)).await)
                };
                let label = kind.label(config.size >> 20, config.files, config.listed);
                match outcome {
                    Ok(m) => {
                        eprintln!("  {label:<34} {name:<7} {:>10.2} {}", m.value, kind.unit());
                        if wharfd_turn {
                            results.wharfd.push(m);
                        } else {
                            results.sdk.push(m);
                        }
                    }
                    Err(e) => {
                        eprintln!("  {label:<34} {name:<7} failed: {e:#}");
                        results.errors.push(format!("{label}, {name}: {e:#}"));
                    }
                }
            }
        }
        all.push(results);
    }
    let table = table(config, &all);
    if all.iter().any(|r| r.wharfd.len() < config.repeat) {
        println!("{table}");
        bail!("some blob runs against wharfd failed");
    }
    Ok(table)
}

/// One SDK run of `kind`, with the store's CPU around it.
async fn sdk_run(config: &Config, kind: Kind) -> Result<Measure> {
    let (size, files) = (config.size, config.files);
    let args: Vec<String> = match kind {
        Kind::Stor => vec![
            "--name".into(),
            "upload-sdk.bin".into(),
            "--size".into(),
            size.to_string(),
        ],
        Kind::Retr => vec!["--name".into(), "big.bin".into()],
        Kind::SmallFiles => vec![
            "--prefix".into(),
            "small-".into(),
            "--count".into(),
            files.to_string(),
            "--size".into(),
            SMALL_FILE.to_string(),
        ],
        Kind::List => vec!["--prefix".into(), "many/".into()],
    };
    let op = match kind {
        Kind::Stor => "stor",
        Kind::Retr => "retr",
        Kind::SmallFiles => "small",
        Kind::List => "list",
    };
    let before = config.target.store_cpu();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let report = config.sdk.run(&config.target, op, &args).await?;
    let store = match (before, config.target.store_cpu()) {
        (Some(b), Some(a)) => Some(a - b),
        _ => None,
    };
    let seconds = report.seconds.max(f64::MIN_POSITIVE);
    let gib = size as f64 / (1u64 << 30) as f64;
    let (value, work) = match kind {
        Kind::Stor | Kind::Retr => {
            let bytes = report.bytes.unwrap_or(0);
            if bytes != size {
                bail!("SDK {op} moved {bytes} bytes of {size}");
            }
            (size as f64 / (1u64 << 20) as f64 / seconds, gib)
        }
        Kind::SmallFiles => (files as f64 / seconds, files as f64 / 1000.0),
        Kind::List => {
            let items = report.items.unwrap_or(0);
            if items != config.listed as u64 {
                bail!("SDK list gave {items} blobs of {}", config.listed);
            }
            (seconds * 1000.0, 1.0 / 1000.0)
        }
    };
    Ok(Measure {
        value,
        latency: crate::stats::latency(&report.latencies_ms),
        server_cpu: None,
        store_cpu: store.map(|c| c / work),
        store_busy: store.map(|c| c / seconds),
    })
}

/// A figure with as many decimals as its size deserves.
fn figure(value: Option<f64>) -> String {
    match value {
        Some(v) if v.abs() >= 100.0 => format!("{v:.0}"),
        Some(v) if v.abs() >= 10.0 => format!("{v:.1}"),
        Some(v) => format!("{v:.2}"),
        None => "-".to_owned(),
    }
}

fn median_of(runs: &[Measure], f: impl Fn(&Measure) -> Option<f64>) -> Option<f64> {
    median(&runs.iter().filter_map(f).collect::<Vec<_>>())
}

/// `wharfd / SDK` as a speed ratio: for LIST (ms) the SDK's time over
/// wharfd's, so that above 1 always means wharfd is faster.
fn speed_ratio(kind: Kind, wharfd: f64, sdk: f64) -> Option<f64> {
    let ratio = if kind == Kind::List {
        sdk / wharfd
    } else {
        wharfd / sdk
    };
    ratio.is_finite().then_some(ratio)
}

/// The blob table (Markdown): medians per side, the ratio, CPU and how
/// busy the store was.
fn table(config: &Config, all: &[Results]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| blob row | wharfd (min–max) | SDK, direct to the store (min–max) | wharfd / SDK | p50 / p99 ms wharfd; SDK | wharfd CPU | Azurite CPU via wharfd; SDK | Azurite busy via wharfd; SDK |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    let mut notes = Vec::new();
    for r in all {
        let unit = r.kind.unit();
        let cell = |runs: &[Measure]| {
            let values: Vec<f64> = runs.iter().map(|m| m.value).collect();
            match (median(&values), min_max(&values)) {
                (Some(m), Some((lo, hi))) => format!(
                    "{} {unit} ({}–{})",
                    figure(Some(m)),
                    figure(Some(lo)),
                    figure(Some(hi))
                ),
                _ => "- (failed)".to_owned(),
            }
        };
        let wharfd = median_of(&r.wharfd, |m| Some(m.value));
        let sdk = median_of(&r.sdk, |m| Some(m.value));
        let ratio = match (wharfd, sdk) {
            (Some(w), Some(s)) => speed_ratio(r.kind, w, s),
            _ => None,
        };
        let latency = |runs: &[Measure]| match (
            median_of(runs, |m| m.latency.map(|l| l.0)),
            median_of(runs, |m| m.latency.map(|l| l.1)),
        ) {
            (Some(p50), Some(p99)) => format!("{} / {}", figure(Some(p50)), figure(Some(p99))),
            _ => String::new(),
        };
        let latency = if r.kind == Kind::SmallFiles {
            format!("{}; {}", latency(&r.wharfd), latency(&r.sdk))
        } else {
            String::new()
        };
        let cpu_unit = r.kind.cpu_unit();
        let store_busy_sdk = median_of(&r.sdk, |m| m.store_busy);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {latency} | {} {cpu_unit} | {}; {} {cpu_unit} | {}; {} |",
            r.kind.label(config.size >> 20, config.files, config.listed),
            cell(&r.wharfd),
            cell(&r.sdk),
            ratio.map_or("-".to_owned(), |v| format!("{v:.2}")),
            figure(median_of(&r.wharfd, |m| m.server_cpu)),
            figure(median_of(&r.wharfd, |m| m.store_cpu)),
            figure(median_of(&r.sdk, |m| m.store_cpu)),
            figure(median_of(&r.wharfd, |m| m.store_busy)),
            figure(store_busy_sdk),
        );
        if store_busy_sdk.is_some_and(|b| b >= 0.9) {
            notes.push(format!(
                "{}: the store is the limit: Azurite was busy {} of a core while the SDK ran, so the SDK's {} {unit} is the store's ceiling",
                r.kind.label(config.size >> 20, config.files, config.listed),
                figure(store_busy_sdk),
                figure(sdk),
            ));
        }
        notes.extend(r.errors.iter().cloned());
    }
    let _ = writeln!(
        out,
        "\nwharfd / SDK is a speed ratio (for LIST, the SDK's ms over wharfd's): target ≥ 0.90. \
         Azurite busy is its CPU seconds per wall second (one Node.js thread: near 1.0 it is saturated)."
    );
    for note in notes {
        let _ = writeln!(out, "- {note}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_blob_rows_from_the_others() {
        let names = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let (kinds, others) = split(&names(&["retr-big", "blob-list", "blob-stor"]));
        assert_eq!(
            kinds,
            vec![Kind::Stor, Kind::List],
            "run order, not given order"
        );
        assert_eq!(others, names(&["retr-big"]));
        let (kinds, others) = split(&names(&["blob"]));
        assert_eq!(kinds.len(), ALL.len());
        assert!(others.is_empty());
    }

    #[test]
    fn ratio_is_a_speed_ratio_both_ways() {
        assert_eq!(speed_ratio(Kind::Stor, 90.0, 100.0), Some(0.9));
        assert_eq!(
            speed_ratio(Kind::List, 200.0, 100.0),
            Some(0.5),
            "wharfd slower"
        );
        assert_eq!(speed_ratio(Kind::Retr, 1.0, 0.0), None);
    }
}
