//! The scenarios of the performance issue, each expanded into the cases a
//! run measures (one client count, plain or FTPS), and the settings they
//! share.

#[cfg(test)]
mod bare_sender_tests;
mod curl;
mod listing;
mod sessions;
mod small_files;
mod transfer;

use std::net::IpAddr;
use std::time::Duration;

use anyhow::{Result, bail};
use tokio_rustls::TlsConnector;

use crate::stats::Measure;
use crate::target::Target;

pub(crate) use small_files::operation as small_file_operation;
pub(crate) use transfer::sink;
pub use transfer::tcp_raw;

/// Every scenario name `--scenarios` takes, in the order they run.
pub const ALL: &[&str] = &[
    "tcp-raw",
    "retr-big",
    "retr-big-curl",
    "retr-big-tls",
    "stor-big",
    "stor-big-tls",
    "small-files",
    "small-files-tls",
    "login-rate",
    "list-big",
    "idle-sessions",
];

/// What a case does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Each client RETRs `big.bin`, data discarded.
    RetrBig,
    /// The same download, each client a `curl` process.
    RetrBigCurl,
    /// Each client STORs a file of the same size from memory.
    StorBig,
    /// Clients loop STOR 4 KiB + RETR + DELE for a fixed time.
    SmallFiles,
    /// Clients loop connect, USER, PASS, QUIT for a fixed time.
    LoginRate,
    /// LIST of `many/`.
    List,
    /// MLSD of `many/`.
    Mlsd,
    /// Many logged-in idle sessions at once; server memory per session.
    IdleSessions,
    /// A bare loopback socket into RETR's sink: the ceiling for RETR.
    TcpRaw,
}

/// One line of the report: a scenario with its client count and security.
#[derive(Clone, Copy, Debug)]
pub struct Case {
    pub kind: Kind,
    /// Clients at once (sessions, for `IdleSessions`).
    pub clients: usize,
    pub tls: bool,
    /// Whether `tcp-raw` runs alternating with this case (RETR, 1 client,
    /// plain), as the row RETR is held against.
    pub with_raw: bool,
}

/// What the scenarios share.
pub struct Settings {
    /// Bytes per big transfer.
    pub size: u64,
    /// Length of the looping scenarios.
    pub seconds: f64,
    /// Files in `many/`.
    pub list_files: usize,
    /// Loopback source addresses the clients are spread over.
    pub sources: Vec<IpAddr>,
    pub connector: TlsConnector,
}

impl Settings {
    /// The source address of client `i`, if any are set.
    pub fn source(&self, i: usize) -> Option<IpAddr> {
        (!self.sources.is_empty()).then(|| self.sources[i % self.sources.len()])
    }

    /// The connector for a case: `Some` for FTPS.
    fn tls(&self, tls: bool) -> Option<TlsConnector> {
        tls.then(|| self.connector.clone())
    }
}

/// The cases `selected` scenarios expand to, in run order.
pub fn cases(selected: &[String], idle_sessions: usize) -> Result<Vec<Case>> {
    for name in selected {
        if !ALL.contains(&name.as_str()) {
            bail!("unknown scenario {name} (known: {})", ALL.join(", "));
        }
    }
    let on = |name: &str| selected.iter().any(|s| s == name);
    let case = |kind, clients, tls| Case {
        kind,
        clients,
        tls,
        with_raw: false,
    };
    let mut cases = Vec::new();
    for name in ALL {
        if !on(name) {
            continue;
        }
        match *name {
            "tcp-raw" if !on("retr-big") => cases.push(case(Kind::TcpRaw, 1, false)),
            "tcp-raw" => {}
            "retr-big" => {
                cases.push(Case {
                    with_raw: on("tcp-raw"),
                    ..case(Kind::RetrBig, 1, false)
                });
                cases.push(case(Kind::RetrBig, 8, false));
            }
            "retr-big-curl" => {
                cases.push(case(Kind::RetrBigCurl, 1, false));
                cases.push(case(Kind::RetrBigCurl, 8, false));
            }
            "retr-big-tls" => {
                cases.push(case(Kind::RetrBig, 1, true));
                cases.push(case(Kind::RetrBig, 8, true));
            }
            "stor-big" => {
                cases.push(case(Kind::StorBig, 1, false));
                cases.push(case(Kind::StorBig, 8, false));
            }
            "stor-big-tls" => {
                cases.push(case(Kind::StorBig, 1, true));
                cases.push(case(Kind::StorBig, 8, true));
            }
            "small-files" => cases.push(case(Kind::SmallFiles, 16, false)),
            "small-files-tls" => cases.push(case(Kind::SmallFiles, 16, true)),
            "login-rate" => {
                cases.push(case(Kind::LoginRate, 16, false));
                cases.push(case(Kind::LoginRate, 64, false));
            }
            "list-big" => {
                cases.push(case(Kind::List, 1, false));
                cases.push(case(Kind::Mlsd, 1, false));
            }
            _ => cases.push(case(Kind::IdleSessions, idle_sessions, false)),
        }
    }
    Ok(cases)
}

impl Case {
    /// The scenario this case belongs to, as `--scenarios` names it.
    pub fn scenario(&self) -> &'static str {
        match (self.kind, self.tls) {
            (Kind::RetrBig, false) => "retr-big",
            (Kind::RetrBig, true) => "retr-big-tls",
            (Kind::RetrBigCurl, _) => "retr-big-curl",
            (Kind::StorBig, false) => "stor-big",
            (Kind::StorBig, true) => "stor-big-tls",
            (Kind::SmallFiles, false) => "small-files",
            (Kind::SmallFiles, true) => "small-files-tls",
            (Kind::LoginRate, _) => "login-rate",
            (Kind::List | Kind::Mlsd, _) => "list-big",
            (Kind::IdleSessions, _) => "idle-sessions",
            (Kind::TcpRaw, _) => "tcp-raw",
        }
    }

    /// The scenario and its variant, as the report names it.
    pub fn label(&self) -> String {
        let tls = if self.tls { " TLS" } else { "" };
        let clients = |n: usize| {
            if n == 1 {
                "(1 client)".to_owned()
            } else {
                format!("({n} clients)")
            }
        };
        match self.kind {
            Kind::RetrBig => format!("retr-big{tls} {}", clients(self.clients)),
            Kind::RetrBigCurl => format!("retr-big curl {}", clients(self.clients)),
            Kind::StorBig => format!("stor-big{tls} {}", clients(self.clients)),
            Kind::SmallFiles => format!("small-files{tls} {}", clients(self.clients)),
            Kind::LoginRate => format!("login-rate {}", clients(self.clients)),
            Kind::List => "list-big LIST".to_owned(),
            Kind::Mlsd => "list-big MLSD".to_owned(),
            Kind::IdleSessions => format!("idle-sessions ({})", self.clients),
            Kind::TcpRaw => "tcp-raw".to_owned(),
        }
    }

    /// The unit of the headline figure.
    pub fn unit(&self) -> &'static str {
        match self.kind {
            Kind::RetrBig | Kind::RetrBigCurl | Kind::StorBig | Kind::TcpRaw => "MiB/s",
            Kind::SmallFiles => "ops/s",
            Kind::LoginRate => "sessions/s",
            Kind::List | Kind::Mlsd => "ms",
            Kind::IdleSessions => "KiB/session",
        }
    }

    /// The unit of work server CPU is counted per.
    pub fn cpu_unit(&self) -> &'static str {
        match self.kind {
            Kind::RetrBig | Kind::RetrBigCurl | Kind::StorBig | Kind::TcpRaw => "s/GiB",
            Kind::SmallFiles => "s/1k ops",
            Kind::LoginRate | Kind::IdleSessions => "s/1k sessions",
            Kind::List | Kind::Mlsd => "s/1k listings",
        }
    }

    /// Runs of this case against each server for `repeat` asked for: more
    /// for a single connection's big transfer
    /// ([`single_transfer_repetitions`]).
    pub fn repetitions(&self, repeat: usize) -> usize {
        let single_transfer = self.clients == 1
            && matches!(
                self.kind,
                Kind::RetrBig | Kind::RetrBigCurl | Kind::StorBig | Kind::TcpRaw
            );
        if single_transfer {
            single_transfer_repetitions(repeat)
        } else {
            repeat
        }
    }

    /// How long one run may take before it counts as failed: generous,
    /// but every run ends.
    pub fn time_limit(&self, settings: &Settings) -> Duration {
        let seconds = match self.kind {
            // At least 10 MiB/s per client.
            Kind::RetrBig | Kind::RetrBigCurl | Kind::StorBig | Kind::TcpRaw => {
                60 + self.clients as u64 * settings.size / (10 << 20)
            }
            Kind::SmallFiles | Kind::LoginRate => 60 + settings.seconds.ceil() as u64,
            Kind::List | Kind::Mlsd => 120,
            // At least 20 logins a second, plus closing them again.
            Kind::IdleSessions => 120 + self.clients as u64 / 20,
        };
        Duration::from_secs(seconds)
    }
}

/// Runs of a single connection's big transfer for `repeat` asked for.
/// Where medians are taken (`repeat` above 1), three times as many: such a
/// run is over in about a second, and its speed depends most on where the
/// scheduler puts the sender and the receiver on the machine's cores. In
/// 16 1-client downloads of 1 GiB with curl, one server's runs here spread
/// from 1,135 to 2,759 MiB/s, and the same two servers came out at 0.71×
/// and 0.99× of each other in series of 8 and 16 runs
/// (docs/performance/profile-retr.md). `--repeat 1` stays one run of every
/// case, as profiles want.
pub fn single_transfer_repetitions(repeat: usize) -> usize {
    if repeat > 1 { repeat * 3 } else { repeat }
}

/// Runs `case` once against `target`.
pub async fn run(case: &Case, target: &Target, settings: &Settings) -> Result<Measure> {
    let tls = settings.tls(case.tls);
    match case.kind {
        Kind::RetrBig => transfer::retr_big(target, settings, case.clients, tls).await,
        Kind::RetrBigCurl => curl::retr_big_curl(target, settings, case.clients).await,
        Kind::StorBig => transfer::stor_big(target, settings, case.clients, tls).await,
        Kind::SmallFiles => small_files::small_files(target, settings, case.clients, tls).await,
        Kind::LoginRate => sessions::login_rate(target, settings, case.clients).await,
        Kind::IdleSessions => sessions::idle_sessions(target, settings, case.clients).await,
        Kind::List => listing::list_big(target, settings, "LIST").await,
        Kind::Mlsd => listing::list_big(target, settings, "MLSD").await,
        Kind::TcpRaw => tcp_raw(settings.size).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_transfers_repeat_three_times_as_often() {
        let all: Vec<String> = ALL.iter().map(|s| (*s).to_owned()).collect();
        let every = cases(&all, 10).unwrap();
        let tripled: Vec<String> = every
            .iter()
            .filter(|c| c.repetitions(3) == 9)
            .map(Case::label)
            .collect();
        assert_eq!(
            tripled,
            [
                "retr-big (1 client)",
                "retr-big curl (1 client)",
                "retr-big TLS (1 client)",
                "stor-big (1 client)",
                "stor-big TLS (1 client)",
            ]
        );
        assert!(every.iter().all(|c| [3, 9].contains(&c.repetitions(3))));
        let alone = cases(&["tcp-raw".to_owned()], 10).unwrap();
        assert_eq!(alone[0].repetitions(2), 6);
        // One run of everything, for a profile.
        assert!(every.iter().all(|c| c.repetitions(1) == 1));
    }
}
