//! `wharf-load`: throughput of a real `wharfd` on loopback, plain and over
//! FTPS, measured in alternation within one run so that the ratio between
//! them holds on a noisy machine; RETR is also set against `tcp-raw`, a bare
//! socket feeding the same sink.
//!
//! ```sh
//! cargo build --release -p wharfd
//! cargo run --release -p wharf-benches --bin wharf-load -- --size-mib 512 --repeat 5
//! ```
#![allow(clippy::print_stdout, missing_docs, unreachable_pub)]

mod client;
mod scenarios;
mod server;

use std::path::PathBuf;

use anyhow::{Context, Result};

struct Args {
    size_mib: u64,
    repeat: usize,
    server: PathBuf,
}

fn args() -> Result<Args> {
    let mut args = Args {
        size_mib: 256,
        repeat: 3,
        server: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/wharfd"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--size-mib" => args.size_mib = value.parse()?,
            "--repeat" => args.repeat = value.parse()?,
            "--server" => args.server = value.into(),
            other => anyhow::bail!("unknown flag {other} (--size-mib, --repeat, --server)"),
        }
    }
    Ok(args)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args = args()?;
    let size = args.size_mib * 1024 * 1024;
    let server = server::Server::start(&args.server).await?;
    std::fs::write(server.root.join("big.bin"), vec![0xa5u8; size as usize])?;

    println!(
        "wharf-load: {} MiB per transfer, {} repetitions, plain and TLS alternating",
        args.size_mib, args.repeat
    );
    println!(
        "{:<10} {:>5} {:>12} {:>12} {:>14}",
        "scenario", "tls", "median MiB/s", "min..max", "cpu s/GiB"
    );
    for scenario in ["retr-big", "stor-big"] {
        let mut runs: [Vec<scenarios::Measure>; 2] = [Vec::new(), Vec::new()];
        let mut raw = Vec::new();
        for _ in 0..args.repeat {
            if scenario == "retr-big" {
                raw.push(scenarios::tcp_raw(size).await?.mib_per_s);
            }
            for (i, tls) in [false, true].into_iter().enumerate() {
                let measured = match scenario {
                    "retr-big" => scenarios::retr_big(&server, size, tls).await?,
                    _ => scenarios::stor_big(&server, size, tls).await?,
                };
                runs[i].push(measured);
            }
        }
        let mut medians = [0.0; 2];
        for (i, tls) in ["no", "yes"].into_iter().enumerate() {
            let speeds: Vec<f64> = runs[i].iter().map(|m| m.mib_per_s).collect();
            let (min, max) = speeds
                .iter()
                .fold((f64::MAX, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
            medians[i] = median(speeds);
            let cpu: Vec<f64> = runs[i].iter().filter_map(|m| m.cpu_per_gib).collect();
            let cpu = if cpu.is_empty() {
                "-".to_owned()
            } else {
                format!("{:.2}", median(cpu))
            };
            println!(
                "{scenario:<10} {tls:>5} {:>12.0} {:>5.0}..{:<6.0} {cpu:>14}",
                medians[i], min, max
            );
        }
        println!(
            "{scenario:<10} TLS/plain throughput ratio: {:.2}",
            medians[1] / medians[0]
        );
        if !raw.is_empty() {
            let (min, max) = raw
                .iter()
                .fold((f64::MAX, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
            let raw = median(raw);
            println!(
                "{:<10} {:>5} {raw:>12.0} {min:>5.0}..{max:<6.0} {:>14}",
                "tcp-raw", "no", "-"
            );
            println!(
                "retr-big   plain RETR / tcp-raw ratio: {:.2}",
                medians[0] / raw
            );
        }
    }
    Ok(())
}
