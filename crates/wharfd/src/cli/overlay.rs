//! The flags as a [`Config`] of their own, to lay over the file's
//! (`config::Overlay`): a flag given sets its key, a flag left out leaves
//! it unset, so the file's value (or the default) stands.
//!
//! An on-only flag (`--anonymous`) can turn a setting on but never off:
//! left out, it is unset rather than `false`. A repeatable flag
//! (`--listen`) given at least once replaces the file's whole list.

use crate::config::{
    ActiveConfig, AdminSection, AzureSection, Config, LogsSection, PassiveConfig, QuotaSection,
    RateSection, TimeoutsConfig, TlsSection,
};
use crate::values::{AutoSwitch, Size, Switch, Written};

use super::Cli;

/// `Some(true)` for a flag that was given, unset otherwise.
fn on(flag: bool) -> Option<bool> {
    flag.then_some(true)
}

/// A repeated flag's values, unset when it was not given.
fn list<T: Clone>(values: &[T]) -> Option<Vec<T>> {
    (!values.is_empty()).then(|| values.to_vec())
}

impl Cli {
    /// The settings the flags give, with the file's shape. `--user`
    /// accounts are not part of it: they add to the file's users rather
    /// than override a setting (see `Settings::resolve`).
    pub(crate) fn overlay(&self) -> Config {
        // Destructured without `..`: a new flag must be placed here.
        let Self {
            config: _,
            hash_password: _,
            command: _,
            users: _,
            listen,
            root,
            umask,
            run_as,
            sync_uploads,
            sendfile,
            splice_uploads,
            passive_ports,
            public_address,
            users_file,
            anonymous,
            defence,
            max_passive_per_ip,
            idle_timeout,
            passive_multiplex,
            epsv,
            default_data_port,
            default_data_source_port,
            active_any_address,
            active_from_data_port,
            azure_passthrough,
            azure_endpoint,
            azure_folder_marker,
            azure_accounts,
            allow_account_keys_in_clear,
            allow_container_public_access,
            storage,
            storage_key_file,
            storage_credential,
            blob_upload_memory,
            object_stores,
            log_json,
            admin_listen,
            xferlog,
            audit_log,
            tls_cert,
            tls_key,
            tls_self_signed,
            implicit_listen,
            tls_required,
            tls_reuse_required,
            tls_allow_ccc,
            quota,
            quota_period,
            usage_store,
            usage_store_key_file,
            usage_flush_secs,
            min_data_rate,
            session_download_rate,
            session_upload_rate,
            server_download_rate,
            server_upload_rate,
            account_download_rate,
            account_upload_rate,
        } = self;
        let size = |bytes: &Option<u64>| bytes.map(Size::Bytes);
        Config {
            listen: list(listen),
            root: root.clone(),
            sync_uploads: sync_uploads.map(Switch::is_on),
            umask: umask.map(Written::Parsed),
            run_as: run_as.clone(),
            sendfile: sendfile.map(AutoSwitch::Word),
            splice_uploads: splice_uploads.map(AutoSwitch::Word),
            anonymous: on(*anonymous),
            users_file: users_file.clone(),
            log_json: on(*log_json),
            storage: storage.clone(),
            storage_key_file: storage_key_file.clone(),
            blob_upload_memory: size(blob_upload_memory),
            passive: PassiveConfig {
                ports: passive_ports.clone().map(Written::Parsed),
                public_address: public_address.clone(),
                multiplex: on(*passive_multiplex),
                epsv: epsv.map(Switch::is_on),
                max_per_ip: *max_passive_per_ip,
                ..PassiveConfig::default()
            },
            active: ActiveConfig {
                any_address: on(*active_any_address),
                default_data_port: default_data_port.map(Switch::is_on),
                default_data_source_port: *default_data_source_port,
                from_data_port: on(*active_from_data_port),
            },
            limits: defence.limits(),
            ban: defence.ban(),
            shared_state: defence.shared_state(),
            access: defence.access(),
            proxy: defence.proxy(),
            timeouts: TimeoutsConfig {
                idle_secs: *idle_timeout,
                ..TimeoutsConfig::default()
            },
            tls: TlsSection {
                cert: tls_cert.clone(),
                key: tls_key.clone(),
                self_signed: on(*tls_self_signed),
                implicit_listen: list(implicit_listen),
                required: tls_required.clone(),
                reuse_required: *tls_reuse_required,
                allow_ccc: on(*tls_allow_ccc),
                exempt_anonymous: None,
            },
            azure: storage_credential.over_azure(AzureSection {
                passthrough: on(*azure_passthrough),
                endpoint: azure_endpoint.clone(),
                folder_marker: *azure_folder_marker,
                accounts: list(azure_accounts),
                allow_account_keys_in_clear: on(*allow_account_keys_in_clear),
                allow_container_public_access: on(*allow_container_public_access),
                ..AzureSection::default()
            }),
            storage_ca_file: storage_credential.storage_ca_file.clone(),
            s3: object_stores.s3(),
            gcs: object_stores.gcs(),
            quota: QuotaSection {
                limit: size(quota),
                period: quota_period.clone(),
                store: usage_store.clone(),
                store_key_file: usage_store_key_file.clone(),
                flush_secs: *usage_flush_secs,
                accounts: Default::default(),
            },
            rate: RateSection {
                session_download: size(session_download_rate),
                session_upload: size(session_upload_rate),
                server_download: size(server_download_rate),
                server_upload: size(server_upload_rate),
                account_download: size(account_download_rate),
                account_upload: size(account_upload_rate),
                data_minimum: size(min_data_rate),
            },
            admin: AdminSection {
                listen: admin_listen.clone(),
            },
            logs: LogsSection {
                xferlog: xferlog.clone(),
                audit: audit_log.clone(),
            },
            ..Config::default()
        }
    }

    /// The file of `--config` (or nothing) with the flags laid over it.
    pub(crate) fn merged_config(&self) -> anyhow::Result<Config> {
        let mut config = match &self.config {
            Some(path) => Config::load(path)?,
            None => Config::default(),
        };
        crate::config::Overlay::overlay(&mut config, self.overlay());
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::config::Overlay;
    use crate::values::{AutoWord, MarkerStyle};

    const EXAMPLE: &str = include_str!("../../wharfd.example.toml");

    fn merged(args: &[&str], file: &str) -> Config {
        let cli = Cli::parse_from(std::iter::once("wharfd").chain(args.iter().copied()));
        let mut config = Config::parse(file).unwrap();
        config.overlay(cli.overlay());
        config
    }

    #[test]
    fn no_flags_leave_every_key_of_the_file_as_it_was() {
        // The example sets every key, on-only ones (`anonymous`, `allow_ccc`,
        // ...) to false; the second file sets those to true. A flag left out
        // must turn none of them on or off.
        let on = "anonymous = true\nlog_json = true\n[passive]\nmultiplex = true\n\
                  [active]\nany_address = true\n[tls]\nself_signed = true\nallow_ccc = true\n\
                  [azure]\npassthrough = true\nallow_account_keys_in_clear = true\n\
                  allow_container_public_access = true";
        for file in [EXAMPLE, on] {
            let parsed = Config::parse(file).unwrap();
            assert_eq!(format!("{:?}", merged(&[], file)), format!("{parsed:?}"));
        }
    }

    #[test]
    fn flags_beat_the_file() {
        let c = merged(
            &[
                "--listen",
                "127.0.0.1:7",
                "--root",
                "flag-root",
                "--umask",
                "077",
                "--sync-uploads",
                "off",
                "--sendfile",
                "auto",
                "--passive-ports",
                "40000-40001",
                "--max-sessions",
                "3",
                "--idle-timeout",
                "4",
                "--ban-failures",
                "5",
                "--default-data-port",
                "off",
                "--tls-required",
                "all",
                "--tls-reuse-required",
                "false",
                "--azure-accounts",
                "one,two",
                "--azure-folder-marker",
                "slash",
                "--quota",
                "6",
                "--quota-period",
                "month",
                "--session-upload-rate",
                "7",
                "--s3-region",
                "eu-west-1",
                "--anonymous",
                "--tls-allow-ccc",
                "--deny-from",
                "192.0.2.0/24,2001:db8::/32",
                "--allow-from",
                "10.0.0.0/8",
            ],
            EXAMPLE,
        );
        // Networks add to the file's: the example allows one and denies one.
        let nets = |list: &[Written<wharf_session::IpNetwork>]| -> Vec<String> {
            list.iter()
                .map(|w| match w {
                    Written::Text(text) => text.clone(),
                    Written::Parsed(net) => net.to_string(),
                })
                .collect()
        };
        assert_eq!(
            nets(&c.access.allow),
            ["127.0.0.0/8", "::1/128", "192.168.0.0/16", "10.0.0.0/8"],
            "allow"
        );
        assert_eq!(
            nets(&c.access.deny),
            ["192.168.66.0/24", "192.0.2.0/24", "2001:db8::/32"],
            "deny"
        );
        assert_eq!(c.listen, Some(vec!["127.0.0.1:7".parse().unwrap()]));
        assert_eq!(c.root, Some("flag-root".into()));
        assert_eq!(c.umask, Some(Written::Parsed(0o077)));
        assert_eq!(c.sync_uploads, Some(false));
        assert_eq!(c.sendfile, Some(AutoSwitch::Word(AutoWord::Auto)));
        assert_eq!(c.passive.ports, Some(Written::Parsed(40000..=40001)));
        assert_eq!(c.limits.max_sessions, Some(3));
        assert_eq!(c.timeouts.idle_secs, Some(4));
        assert_eq!(c.ban.failures, Some(5));
        assert_eq!(c.active.default_data_port, Some(false));
        assert_eq!(c.tls.required.as_deref(), Some("all"));
        assert_eq!(c.tls.reuse_required, Some(false));
        assert_eq!(c.azure.accounts, Some(vec!["one".into(), "two".into()]));
        assert_eq!(c.azure.folder_marker, Some(MarkerStyle::Slash));
        assert_eq!(c.quota.limit, Some(Size::Bytes(6)));
        assert_eq!(c.quota.period.as_deref(), Some("month"));
        assert_eq!(c.rate.session_upload, Some(Size::Bytes(7)));
        assert_eq!(c.s3.region.as_deref(), Some("eu-west-1"));
        assert_eq!((c.anonymous, c.tls.allow_ccc), (Some(true), Some(true)));
    }

    #[test]
    fn a_flag_left_out_leaves_the_file_value_beside_one_given() {
        let file = "umask = \"027\"\n[limits]\nmax_sessions = 7\nmax_sessions_per_ip = 3\n\
                    [tls]\nreuse_required = false\n[azure]\naccounts = [\"a\"]";
        let c = merged(&["--max-sessions", "9"], file);
        assert_eq!(
            (c.limits.max_sessions, c.limits.max_sessions_per_ip),
            (Some(9), Some(3))
        );
        assert_eq!(c.umask, Some(Written::Text("027".into())));
        assert_eq!(c.tls.reuse_required, Some(false));
        assert_eq!(c.azure.accounts, Some(vec!["a".into()]));
        // With no file, a flag left out stays unset for the default.
        let c = merged(&["--max-sessions", "9"], "");
        assert_eq!(c.limits.max_sessions_per_ip, None);
        assert_eq!((c.anonymous, c.umask, c.listen), (None, None, None));
    }
}
