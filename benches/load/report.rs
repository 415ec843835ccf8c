//! The results of a run, gathered per case and server, and the one table
//! they are printed as (Markdown, to paste as it is).

use std::fmt::Write as _;

use crate::scenarios::{Case, Kind};
use crate::stats::{Measure, median, min_max};

/// Everything measured for one server (or `tcp-raw`) in one case.
pub struct Row {
    pub server: String,
    pub runs: Vec<Measure>,
    pub errors: Vec<String>,
    /// Why the case was not run against this server at all.
    pub skipped: Option<&'static str>,
    /// FTPS data-connection handshakes over all runs: `(resumed, all)`.
    pub resumed: (u64, u64),
}

impl Row {
    pub fn new(server: &str) -> Self {
        Self {
            server: server.to_owned(),
            runs: Vec::new(),
            errors: Vec::new(),
            skipped: None,
            resumed: (0, 0),
        }
    }

    fn median(&self) -> Option<f64> {
        median(&self.runs.iter().map(|m| m.value).collect::<Vec<_>>())
    }
}

/// One case and its rows, the reference server's first.
pub struct CaseResult {
    pub case: Case,
    pub rows: Vec<Row>,
}

/// A figure with as many decimals as its size deserves.
fn figure(value: f64) -> String {
    if !value.is_finite() {
        "-".to_owned()
    } else if value.abs() >= 100.0 {
        format!("{value:.0}")
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// A ratio with two significant digits at least.
fn ratio(value: f64) -> String {
    if value >= 0.1 {
        format!("{value:.2}")
    } else {
        format!("{value:.1e}")
    }
}

/// Whether a bigger headline figure is better for `case`.
fn higher_is_better(case: &Case) -> bool {
    !matches!(case.kind, Kind::List | Kind::Mlsd | Kind::IdleSessions)
}

/// The table: per case and server the median of the runs, their range,
/// latency, server, client and machine CPU medians, and `reference` /
/// this server's median.
pub fn table(results: &[CaseResult], reference: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| scenario | server | median | min–max | p50 / p99 ms | server CPU | client CPU | machine CPU | {reference} / server |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
    let mut notes = Vec::new();
    for result in results {
        let case = &result.case;
        let reference_median = result
            .rows
            .iter()
            .find(|row| row.server == reference)
            .and_then(Row::median);
        for row in &result.rows {
            let values: Vec<f64> = row.runs.iter().map(|m| m.value).collect();
            let label = case.label();
            let Some(value) = median(&values) else {
                let why = row.skipped.unwrap_or("failed");
                let _ = writeln!(out, "| {label} | {} | - ({why}) | | | | | | |", row.server);
                if let Some(error) = row.errors.first() {
                    notes.push(format!("{label}, {}: {error}", row.server));
                }
                continue;
            };
            let (lo, hi) = min_max(&values).unwrap_or((value, value));
            let p50: Vec<f64> = row
                .runs
                .iter()
                .filter_map(|m| m.latency)
                .map(|l| l.0)
                .collect();
            let p99: Vec<f64> = row
                .runs
                .iter()
                .filter_map(|m| m.latency)
                .map(|l| l.1)
                .collect();
            let latency = match (median(&p50), median(&p99)) {
                (Some(p50), Some(p99)) => format!("{} / {}", figure(p50), figure(p99)),
                _ => String::new(),
            };
            let cpu_median = |pick: fn(&Measure) -> Option<f64>| {
                let figures: Vec<f64> = row.runs.iter().filter_map(pick).collect();
                median(&figures)
                    .map(|c| format!("{} {}", figure(c), case.cpu_unit()))
                    .unwrap_or_default()
            };
            let cpu = cpu_median(|m| m.cpu);
            let client_cpu = cpu_median(|m| m.client_cpu);
            let machine_cpu = cpu_median(|m| m.machine_cpu);
            let ratio = match reference_median {
                Some(r) if row.server != reference && value > 0.0 => ratio(r / value),
                _ => String::new(),
            };
            if row.resumed.1 > 0 {
                notes.push(format!(
                    "{label}, {}: {} of {} data-connection TLS handshakes resumed the session",
                    row.server, row.resumed.0, row.resumed.1
                ));
            }
            let failed = if row.errors.is_empty() {
                String::new()
            } else {
                notes.push(format!(
                    "{label}, {}: {} of {} runs failed: {}",
                    row.server,
                    row.errors.len(),
                    row.errors.len() + row.runs.len(),
                    row.errors[0]
                ));
                " (some runs failed)".to_owned()
            };
            let _ = writeln!(
                out,
                "| {label} | {} | {} {}{failed} | {}–{} | {latency} | {cpu} | {client_cpu} | {machine_cpu} | {ratio} |",
                row.server,
                figure(value),
                case.unit(),
                figure(lo),
                figure(hi),
            );
        }
    }
    let lower: Vec<String> = results
        .iter()
        .filter(|r| !higher_is_better(&r.case))
        .map(|r| r.case.label())
        .collect();
    if !lower.is_empty() {
        let _ = writeln!(
            out,
            "\nLower is better for {}; higher for the rest.",
            lower.join("; ")
        );
    }
    if !notes.is_empty() {
        let _ = writeln!(out);
    }
    for note in notes {
        let _ = writeln!(out, "- {note}");
    }
    out
}
