//! `wharfd [FLAGS] check-config [FILE]`: the configuration checked as
//! start-up checks it, without serving.
//!
//! It takes the same steps as `prepare` in `lib.rs` up to binding, with
//! the same functions, so a configuration it accepts starts (short of
//! what only the network or the ports can refuse): the config file with
//! the flags laid over it, every users file, the TLS certificate and key
//! (loaded and matched), the storage and usage-store URLs, the key of
//! `--storage` and the `[credentials.NAME]` of users' homes and mounts
//! (read, not tried), the Azure passthrough endpoint, and the
//! `run_as` user. It binds no port, contacts no store, and creates nothing:
//! a missing root is reported, since start-up would create it.
//!
//! `FILE` is the config file, as `--config FILE` would be; giving both is
//! refused rather than guessing which one was meant. On success it prints
//! `wharfd: configuration OK` on stdout and exits 0; an error is the usual
//! `wharfd: error: ...` line on stderr and exit status 2.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Result, bail};
use wharf_vfs::{MemoryFs, Vfs};

use crate::cli::Cli;
use crate::config::{Config, Overlay};
use crate::settings::Settings;
use crate::values::StorageUrl;
use crate::{passthrough, privileges, storage};

/// Checks the configuration `cli` and `file` describe and prints the
/// verdict.
pub(crate) fn check_config(cli: &Cli, file: Option<&Path>) -> Result<()> {
    let config = match file {
        Some(_) if cli.config.is_some() => {
            bail!("check-config FILE and --config FILE name two config files; give one")
        }
        // What `Cli::merged_config` does with `--config FILE`.
        Some(file) => {
            let mut config = Config::load(file)?;
            Overlay::overlay(&mut config, cli.overlay());
            config
        }
        None => cli.merged_config()?,
    };
    storage::init_upload_memory(&config)?;
    let access = storage::StorageAccess::new(&config);
    let folder_marker = access.azure_folder_marker.clone();
    // The store's URL and its key, without a request: an empty tree
    // stands in for the store in the rest of the check.
    let stand_in = match &config.storage {
        Some(url) => {
            match StorageUrl::parse(url)? {
                StorageUrl::Azure { account, .. } => {
                    access.azure_store(&account)?;
                }
                StorageUrl::S3 { .. } => {
                    access.s3_store()?;
                }
                StorageUrl::Gcs { bucket, .. } => {
                    let view =
                        bucket.map_or(wharf_blob::View::Account, wharf_blob::View::Container);
                    access.gcs_store(&view)?;
                }
            }
            let vfs: Arc<dyn Vfs> = Arc::new(MemoryFs::new());
            Some((url.clone(), vfs))
        }
        None => None,
    };
    let settings = Settings::check(config, &cli.users, stand_in)?;
    crate::init_logging(settings.log_json);
    privileges::plan(settings.run_as.as_deref())?;
    if let Some(endpoint) = settings.azure_endpoint {
        passthrough::AzurePassthrough::new(
            endpoint,
            folder_marker,
            settings.azure_accounts,
            settings.users,
            &access,
        )?;
    }
    let mut out = std::io::stdout().lock();
    for dir in &settings.created_roots {
        writeln!(
            out,
            "wharfd: note: {} does not exist; wharfd creates it at start",
            dir.display()
        )?;
    }
    writeln!(out, "wharfd: configuration OK")?;
    out.flush()?;
    Ok(())
}
