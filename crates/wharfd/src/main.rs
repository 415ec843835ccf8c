//! `wharfd`: the Wharf FTP server binary.

mod cli;

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use wharf_fs::LocalFs;
use wharf_session::{Options, PublicAddress, Server, UserList};
use wharf_vfs::Vfs;

use cli::Cli;

/// The user created when no `--user` and no `--anonymous` is given.
const DEFAULT_USER: &str = "wharf";

fn one_time_password() -> Result<String> {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    init_logging(cli.log_json);

    std::fs::create_dir_all(&cli.root)
        .with_context(|| format!("cannot create the root directory {}", cli.root.display()))?;
    let storage: Arc<dyn Vfs> = Arc::new(
        LocalFs::new(&cli.root).with_context(|| format!("cannot serve {}", cli.root.display()))?,
    );

    let mut users = UserList::new();
    let mut banner = Vec::new();
    for (name, password) in &cli.users {
        users = users
            .with_password(name.clone(), password.as_bytes(), storage.clone(), true)
            .context("cannot hash a password")?;
    }
    if cli.anonymous {
        users = users.with_anonymous(storage.clone());
        banner.push("anonymous login (read-only) is enabled".to_owned());
    }
    if cli.users.is_empty() && !cli.anonymous {
        let password = one_time_password()?;
        users = users
            .with_password(DEFAULT_USER, password.as_bytes(), storage.clone(), true)
            .context("cannot hash a password")?;
        banner.push(format!(
            "user: {DEFAULT_USER}  password: {password}  (one-time, printed once)"
        ));
    }

    let mut options = Options::default();
    options.passive_ports = cli.passive_ports.clone();
    options.public_address = match cli.public_address.as_deref() {
        None => PublicAddress::ControlLocal,
        Some(text) => match cli::public_ip(text) {
            Some(ip) => PublicAddress::Ip(ip),
            None => PublicAddress::Host(text.to_owned()),
        },
    };
    options.failed_login_delay = Duration::from_millis(cli.failed_login_delay_ms);
    options.max_login_failures = cli.max_login_failures.max(1);
    options.max_sessions = cli.max_sessions;
    options.max_sessions_per_ip = cli.max_sessions_per_ip;
    options.active_any_address = cli.active_any_address;

    let mut builder = Server::builder(users).options(options);
    for address in &cli.listen {
        builder = builder.listen(*address);
    }
    let server = builder.bind().await?;

    let mut out = std::io::stdout().lock();
    writeln!(out, "wharfd: serving {}", cli.root.display())?;
    for line in &banner {
        writeln!(out, "wharfd: {line}")?;
    }
    for address in server.local_addrs() {
        writeln!(out, "wharfd: listening on ftp://{address}")?;
    }
    out.flush()?;
    drop(out);

    server.run_until(shutdown_signal()).await?;
    Ok(())
}
