//! `wharfd`: the Wharf FTP server binary. The program is this library's
//! `run`, so that the fuzz targets in `fuzz/` can reach the configuration
//! parsers (the hidden `fuzzing` module); nothing here is an API.

mod admin;
mod check_config;
mod check_gate;
// The flags' doc comments are `--help` text, where `[::1]` and
// `[timeouts]` are words, not rustdoc links.
#[allow(rustdoc::broken_intra_doc_links)]
mod cli;
mod config;
mod defaults;
#[doc(hidden)]
pub mod fuzzing;
mod gcs_storage;
mod lifecycle;
mod logs;
mod metrics;
mod orphans;
mod passthrough;
mod privileges;
mod readiness;
mod reconfigure;
mod s3_identity;
mod serving;
mod settings;
mod shared_state;
mod storage;
mod tls_settings;
mod usage;
mod values;

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Parser;

use wharf_session::Server;

use cli::Cli;
use serving::{Prepared, serve_as_planned};
use settings::Settings;

pub(crate) fn one_time_password() -> Result<String> {
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

/// The whole program; `main.rs` calls it.
///
/// Errors are printed as one `wharfd: error: ...` line with their causes,
/// never as a backtrace: they are for the person who wrote the config.
#[doc(hidden)]
#[allow(clippy::print_stderr)]
pub fn run() -> std::process::ExitCode {
    // Before any thread exists: it changes the environment.
    let inherited = lifecycle::activation::take();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("wharfd: error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let served = match runtime.block_on(prepare(inherited)) {
        Ok(Some(prepared)) => serve_as_planned(&runtime, prepared),
        Ok(None) => Ok(()),
        Err(e) => Err(e),
    };
    match served {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wharfd: error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

/// Reads the configuration, opens the storage and binds every listener
/// (as whoever started wharfd), or the sockets systemd passed
/// (`inherited`); `None` when there is nothing to serve
/// (`--hash-password`, `check-config`).
async fn prepare(inherited: lifecycle::activation::Inherited) -> Result<Option<Prepared>> {
    let cli = Cli::parse();
    if cli.hash_password {
        return hash_password_from_stdin().map(|()| None);
    }
    if let Some(cli::Command::CheckConfig { file }) = &cli.command {
        return check_config::check_config(&cli, file.as_deref()).map(|()| None);
    }
    let config = cli.merged_config()?;
    storage::init_upload_memory(&config)?;
    let access = storage::StorageAccess::new(&config);
    let folder_marker = access.azure_folder_marker.clone();
    // Metrics, with the admin listener: made first, since the storage
    // opened next counts its calls into them.
    let metrics = config
        .admin
        .listen
        .is_some()
        .then(|| Arc::new(metrics::Metrics::new()));
    let measure = metrics.as_ref().map(|m| m.storage());
    // How /readyz reaches the store (see `readiness.rs`).
    let mut reach = readiness::Reach::LookUp;
    let storage = match &config.storage {
        Some(url) => {
            let parsed = values::StorageUrl::parse(url)?;
            if matches!(
                parsed,
                values::StorageUrl::Azure {
                    container: None,
                    ..
                } | values::StorageUrl::S3 { bucket: None }
                    | values::StorageUrl::Gcs { bucket: None, .. }
            ) {
                reach = readiness::Reach::List;
            }
            let backend = match parsed {
                values::StorageUrl::Azure { .. } => "azure",
                values::StorageUrl::S3 { .. } => "s3",
                values::StorageUrl::Gcs { .. } => "gcs",
            };
            let on_retry = measure.as_ref().map(|c| c.retry_hook(backend));
            let mut vfs = storage::open(&parsed, &access, on_retry).await?;
            if let Some(counters) = &measure {
                vfs = metrics::Measured::wrap(vfs, backend, counters.clone());
            }
            Some((url.clone(), vfs))
        }
        None => None,
    };
    let password = Arc::new(std::sync::Mutex::new(None));
    let made = password.clone();
    let remembered = move || {
        let value = one_time_password()?;
        *made
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(value.clone());
        Ok(value)
    };
    let settings = Settings::resolve(
        config,
        &cli.users,
        remembered,
        storage.clone(),
        measure.clone(),
    )?;
    settings.store_probes.check().await?;
    // Passthrough has no fixed store to check; a local root is also
    // checked to be the directory opened at start.
    let storage_probe = settings.azure_endpoint.is_none().then(|| {
        let local = storage
            .is_none()
            .then(|| readiness::LocalRoot::new(settings.root.clone()));
        readiness::StorageProbe::new(settings.served.clone(), reach, local)
    });
    let reconfigure = reconfigure::Reconfigure::new(
        cli,
        storage,
        measure.clone(),
        folder_marker.clone(),
        password,
        &settings,
    );
    init_logging(settings.log_json);
    // Looked up before binding: a wrong user stops the server at once.
    let plan = privileges::plan(settings.run_as.as_deref())?;
    match &plan {
        privileges::Plan::StayRoot => tracing::warn!("{}", privileges::ROOT_WARNING),
        // A root wharfd created itself belongs to whoever will serve it:
        // created by root, it would be read-only to the run_as user.
        privileges::Plan::Drop(run_as) => {
            for dir in &settings.created_roots {
                std::os::unix::fs::chown(dir, Some(run_as.uid), Some(run_as.gid))
                    .with_context(|| format!("cannot give {} to {}", dir.display(), run_as.name))?;
            }
        }
        privileges::Plan::Unprivileged => {}
    }
    let low_data_ports = (
        settings.options.default_data_port || settings.options.active_from_data_port,
        settings.options.default_data_source_port,
        settings
            .options
            .passive_ports
            .as_ref()
            .filter(|_| !settings.options.passive_multiplex)
            .map(|range| *range.start()),
    );
    let mut banner_lines = Vec::new();

    let (main, hosts) = reconfigure::authenticators(
        settings.azure_endpoint,
        settings.azure_accounts,
        settings.users,
        settings.hosts,
        folder_marker,
        &access,
        measure,
    )?;
    let ban_policy = settings.options.login_ban;
    let mut builder = Server::builder_arc(main).options(settings.options);
    if let Some(tls) = &settings.tls {
        builder = builder.tls(tls.config.clone());
        if tls.self_signed {
            banner_lines
                .push("TLS with a self-signed certificate for localhost (testing only)".to_owned());
        }
    }
    for (name, host) in hosts {
        builder = builder.virtual_host(&name, host);
    }
    let implicit = settings.tls.as_ref().map_or(&[][..], |tls| &tls.implicit);
    builder = inherited.listen(builder, &settings.listen, implicit)?;
    if settings.usage.enabled() {
        let (ledger, line) = usage::usage_ledger(settings.usage, &access).await?;
        banner_lines.push(line);
        builder = builder.usage_ledger(ledger);
    }
    let mut shared_health = None;
    if let Some(plan) = settings.shared {
        let opened = shared_state::open(plan, &access, ban_policy).await?;
        banner_lines.push(opened.line);
        builder = builder.login_guard(opened.guard);
        if let Some(registry) = opened.registry {
            builder = builder.session_registry(registry);
        }
        shared_health = Some(opened.health);
    }
    let logs = logs::Logs {
        xferlog: settings
            .xferlog
            .as_deref()
            .map(logs::LogFile::open)
            .transpose()?,
        audit: settings
            .audit_log
            .as_deref()
            .map(logs::LogFile::open)
            .transpose()?,
    };
    let log_files = logs.files();
    if !log_files.is_empty() {
        builder = builder.observer(Arc::new(logs));
    }
    let admin = match (settings.admin_listen, metrics) {
        (Some(address), Some(metrics)) => {
            if let Some(health) = shared_health {
                metrics.shared_health(health);
            }
            builder = builder.observer(metrics.clone());
            Some((admin::bind(address).await?, metrics))
        }
        _ => None,
    };
    let server = builder.bind().await?;

    let control_ports: Vec<u16> = server
        .local_addrs()
        .iter()
        .chain(&server.implicit_addrs())
        .map(std::net::SocketAddr::port)
        .collect();
    let (default_data_port, default_data_source_port, passive_low) = low_data_ports;
    let keep_bind = privileges::LowPorts {
        control_ports: &control_ports,
        default_data_port,
        default_data_source_port,
        passive_low,
    }
    .needed();
    let mut banner = vec![format!("serving {}", settings.root.display())];
    banner.extend(settings.banner);
    banner.extend(banner_lines);
    Ok(Some(Prepared {
        server,
        banner,
        tls: settings.tls.map(|tls| tls.config),
        local_roots: settings.local_roots,
        plan,
        keep_bind,
        admin,
        storage_probe,
        log_files,
        reconfigure,
    }))
}
