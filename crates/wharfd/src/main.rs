//! `wharfd`: the Wharf FTP server binary.

mod cli;
mod config;
mod passthrough;
mod settings;
mod sizes;
mod storage;
mod tls_settings;
mod usage;

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Parser;
use std::time::Duration;

use wharf_session::{Server, TlsConfig};

use cli::Cli;
use config::Config;
use settings::Settings;

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
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rustls=error"));
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

/// Reloads the certificate files on SIGHUP, and when their modification
/// time changes (checked every 30 seconds). Sessions keep running; new
/// handshakes get the new certificate. A failed reload keeps the old one.
async fn reload_certificates(tls: Arc<TlsConfig>) {
    let Some((cert, key)) = tls
        .certificate()
        .files()
        .map(|(c, k)| (c.to_owned(), k.to_owned()))
    else {
        return;
    };
    let stamp = |cert: &std::path::Path, key: &std::path::Path| {
        let time = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        (time(cert), time(key))
    };
    let mut seen = stamp(&cert, &key);
    #[cfg(unix)]
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    loop {
        #[cfg(unix)]
        let signalled = async {
            match hangup.as_mut() {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let signalled = std::future::pending::<()>();
        tokio::select! {
            () = signalled => {}
            () = tokio::time::sleep(Duration::from_secs(30)) => {
                let now = stamp(&cert, &key);
                if now == seen {
                    continue;
                }
                seen = now;
            }
        }
        match tls.reload() {
            Ok(()) => tracing::info!(cert = %cert.display(), "TLS certificate reloaded"),
            Err(error) => {
                tracing::warn!(%error, "TLS certificate reload failed; keeping the old one")
            }
        }
    }
}

/// `--hash-password`: one line from stdin to an argon2 PHC string.
fn hash_password_from_stdin() -> Result<()> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password")?;
    let password = line.trim_end_matches(['\r', '\n']);
    anyhow::ensure!(!password.is_empty(), "empty password");
    let hash = wharf_session::hash_password(password.as_bytes())?;
    writeln!(std::io::stdout().lock(), "{hash}")?;
    Ok(())
}

/// Errors are printed as one `wharfd: error: ...` line with their causes,
/// never as a backtrace: they are for the person who wrote the config.
#[allow(clippy::print_stderr)]
fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("wharfd: error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wharfd: error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

async fn run() -> Result<()> {
    let cli = Cli::parse();
    if cli.hash_password {
        return hash_password_from_stdin();
    }
    let config = match &cli.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let folder_marker = cli
        .azure_folder_marker
        .or(config.azure.folder_marker)
        .unwrap_or(cli::MarkerStyle::Placeholder)
        .marker();
    let azure_endpoint = cli
        .azure_endpoint
        .clone()
        .or(config.azure.endpoint.clone())
        .unwrap_or_else(|| "https://{account}.blob.core.windows.net".to_owned());
    let key_file = cli
        .storage_key_file
        .clone()
        .or(config.storage_key_file.clone());
    let region = cli
        .s3_region
        .clone()
        .or(config.s3.region.clone())
        .unwrap_or_else(|| "us-east-1".into());
    let s3_endpoint = cli.s3_endpoint.clone().or(config.s3.endpoint.clone());
    let access = storage::StorageAccess {
        azure_endpoint: &azure_endpoint,
        s3_endpoint: s3_endpoint.as_deref(),
        s3_region: &region,
        key_file: key_file.as_deref(),
        azure_folder_marker: folder_marker.clone(),
    };
    let storage = match cli.storage.clone().or(config.storage.clone()) {
        Some(url) => {
            let parsed = storage::StorageUrl::parse(&url)?;
            Some((url, storage::open(&parsed, &access).await?))
        }
        None => None,
    };
    let settings = Settings::resolve(&cli, config, one_time_password, storage)?;
    init_logging(settings.log_json);
    let mut banner_lines = Vec::new();

    let mut builder = match settings.azure_endpoint {
        Some(endpoint) => Server::builder(passthrough::AzurePassthrough::new(
            endpoint,
            folder_marker,
            settings.users,
        )),
        None => Server::builder(settings.users),
    }
    .options(settings.options);
    if let Some(tls) = &settings.tls {
        builder = builder.tls(tls.config.clone());
        for address in &tls.implicit {
            builder = builder.implicit_listen(*address);
        }
        if tls.self_signed {
            banner_lines
                .push("TLS with a self-signed certificate for localhost (testing only)".to_owned());
        }
        tokio::spawn(reload_certificates(tls.config.clone()));
    }
    for (name, users) in settings.hosts {
        builder = builder.virtual_host(&name, Arc::new(users));
    }
    for address in &settings.listen {
        builder = builder.listen(*address);
    }
    if settings.usage.enabled() {
        let (accounting, line) = usage::accounting(settings.usage, &access).await?;
        banner_lines.push(line);
        builder = builder.accounting(accounting);
    }
    let server = builder.bind().await?;

    let mut out = std::io::stdout().lock();
    writeln!(out, "wharfd: serving {}", settings.root.display())?;
    for line in settings.banner.iter().chain(&banner_lines) {
        writeln!(out, "wharfd: {line}")?;
    }
    for address in server.local_addrs() {
        writeln!(out, "wharfd: listening on ftp://{address}")?;
    }
    for address in server.implicit_addrs() {
        writeln!(out, "wharfd: listening on ftps://{address}")?;
    }
    out.flush()?;
    drop(out);

    server.run_until(shutdown_signal()).await?;
    Ok(())
}
