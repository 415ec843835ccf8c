//! The other side of each blob row: Microsoft's SDK
//! (`benches/peers/azure_sdk_bench.py`, azure-storage-blob) doing the same
//! against the same Azurite, one operation per process. The script times
//! itself around the storage calls and prints one line of `KEY=VALUE`
//! words; Azurite's CPU is read around the whole process.

use std::process::Stdio;

use anyhow::{Context, Result, bail};
use tokio::process::Command;

use super::BlobTarget;

/// What one SDK operation reported.
#[derive(Debug, Default, PartialEq)]
pub struct Report {
    pub seconds: f64,
    pub bytes: Option<u64>,
    pub items: Option<u64>,
    pub latencies_ms: Vec<f64>,
}

/// Parses the script's line: `seconds=1.5 bytes=42 items=3
/// latencies_ms=1.000,2.500`; unknown keys are an error, so that a change
/// on one side is not silently misread on the other.
pub fn parse(line: &str) -> Result<Report> {
    let mut report = Report::default();
    let mut seconds = None;
    for word in line.split_whitespace() {
        let (key, value) = word
            .split_once('=')
            .with_context(|| format!("SDK output word {word:?} is not KEY=VALUE"))?;
        let number = || format!("SDK output {key}={value}");
        match key {
            "seconds" => seconds = Some(value.parse::<f64>().with_context(number)?),
            "bytes" => report.bytes = Some(value.parse().with_context(number)?),
            "items" => report.items = Some(value.parse().with_context(number)?),
            "latencies_ms" => {
                report.latencies_ms = value
                    .split(',')
                    .filter(|v| !v.is_empty())
                    .map(str::parse::<f64>)
                    .collect::<Result<_, _>>()
                    .with_context(number)?;
            }
            _ => bail!("SDK output: unknown key {key}"),
        }
    }
    report.seconds = seconds.context("SDK output has no seconds=")?;
    Ok(report)
}

/// The SDK command: a program and its leading arguments (the script), to
/// which each run appends the account, the container and the operation.
pub struct Sdk {
    argv: Vec<String>,
}

impl Sdk {
    /// `command` split at whitespace (paths in it must not hold spaces).
    pub fn new(command: &str) -> Result<Self> {
        let argv: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
        if argv.is_empty() {
            bail!("--blob-sdk is empty");
        }
        Ok(Self { argv })
    }

    /// Runs `op` with `args` on `target`'s account and container, and
    /// parses the last line it prints.
    pub async fn run(&self, target: &BlobTarget, op: &str, args: &[&str]) -> Result<Report> {
        let output = Command::new(&self.argv[0])
            .args(&self.argv[1..])
            .arg("--connection-string")
            .arg(target.connection_string())
            .args(["--container", &target.container])
            .arg(op)
            .args(args)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .with_context(|| format!("cannot run {}", self.argv[0]))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last = stderr.lines().last().unwrap_or("");
            bail!("SDK {op}: {} ({last})", output.status);
        }
        let line = stdout.lines().last().context("SDK printed nothing")?;
        parse(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_key() {
        let report = parse("seconds=1.5 bytes=42 items=3 latencies_ms=1.000,2.500").expect("valid");
        assert_eq!(
            report,
            Report {
                seconds: 1.5,
                bytes: Some(42),
                items: Some(3),
                latencies_ms: vec![1.0, 2.5],
            }
        );
        assert_eq!(parse("seconds=0.0").expect("valid").latencies_ms, vec![]);
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        assert!(parse("bytes=42").is_err(), "no seconds");
        assert!(parse("seconds=x").is_err());
        assert!(parse("seconds=1 speed=3").is_err(), "unknown key");
        assert!(parse("seconds=1 junk").is_err());
        assert!(parse("seconds=1 latencies_ms=1,a").is_err());
    }
}
