//! One merge for "flag over file": the flags arrive as a [`Config`] of
//! their own (`Cli::overlay`, every field unset but the flags given) and
//! are laid over the file's `Config` once. The defaults are applied after
//! that, by whoever reads the merged value (`settings/`), so no setting
//! has a precedence chain of its own.

use std::collections::BTreeMap;

use super::{
    AccessSection, ActiveConfig, AdminSection, AzureSection, BanConfig, Config, GcsSection,
    KeepaliveConfig, LimitsConfig, LogsSection, PassiveConfig, ProxySection, QuotaSection,
    RateSection, S3Section, SharedStateSection, TimeoutsConfig, TlsSection,
};

/// Lays `top` over `self`: what `top` sets wins, what it leaves unset
/// keeps `self`'s value.
pub(crate) trait Overlay {
    /// Merges `top` into `self`, `top` winning.
    fn overlay(&mut self, top: Self);
}

/// A setting: set in `top`, it replaces `self`'s (a list setting such as
/// `listen` is replaced whole, not extended).
impl<T> Overlay for Option<T> {
    fn overlay(&mut self, top: Self) {
        if top.is_some() {
            *self = top;
        }
    }
}

/// Entries (`[[user]]`, `[[host]]`, `[[passive.overrides]]`, the networks
/// of `[access]`) add up, `top`'s after `self`'s.
impl<T> Overlay for Vec<T> {
    fn overlay(&mut self, top: Self) {
        self.extend(top);
    }
}

/// Entries by name (`[quota.accounts]`): `top`'s win name by name.
impl<K: Ord, V> Overlay for BTreeMap<K, V> {
    fn overlay(&mut self, top: Self) {
        self.extend(top);
    }
}

/// Implements [`Overlay`] field by field. The section is destructured
/// without `..`, so a field added to it and not listed here does not
/// compile: no setting can miss the merge.
macro_rules! overlay_by_field {
    ($($section:ident { $($field:ident),* $(,)? })*) => {$(
        impl Overlay for $section {
            fn overlay(&mut self, top: Self) {
                let $section { $($field),* } = top;
                $(self.$field.overlay($field);)*
            }
        }
    )*};
}

overlay_by_field! {
    Config {
        listen, root, sync_uploads, umask, run_as, sendfile, splice_uploads, greeting, anonymous, users_file,
        users, log_json, passive, active, limits, ban, access, proxy, timeouts, keepalive, hosts, tls,
        azure, storage, storage_key_file, blob_upload_memory, s3, gcs, quota, rate, admin, logs,
        credentials, storage_ca_file, shared_state,
    }
    AdminSection { listen }
    SharedStateSection {
        store, store_key_file, ban_refresh_secs, session_lease_secs, sessions, timeout_ms,
    }
    LogsSection { xferlog, audit }
    AccessSection { allow, deny }
    ProxySection { trusted, header_timeout_secs, listeners }
    QuotaSection { limit, period, store, store_key_file, flush_secs, accounts }
    RateSection {
        session_download, session_upload, server_download, server_upload, account_download,
        account_upload, data_minimum,
    }
    S3Section {
        endpoint, region, credential, role_arn, role_session_name, external_id, sts_endpoint,
        metadata_endpoint, web_identity_token_file, virtual_hosted,
    }
    GcsSection { endpoint, project }
    AzureSection {
        passthrough, endpoint, folder_marker, accounts, allow_account_keys_in_clear,
        allow_container_public_access,
        credential, tenant_id, client_id, client_secret_file, federated_token_file,
        authority_host, msi_endpoint,
    }
    TlsSection {
        cert, key, self_signed, implicit_listen, required, reuse_required, exempt_anonymous,
        allow_ccc,
    }
    PassiveConfig {
        ports, public_address, overrides, timeout_secs, peer_check, multiplex, max_per_ip, epsv,
    }
    ActiveConfig { any_address, default_data_port, default_data_source_port, from_data_port }
    LimitsConfig {
        max_sessions, max_sessions_per_ip, max_unauthenticated_sessions,
        max_unauthenticated_sessions_per_ip, ipv6_prefix, login_queue, max_login_failures,
        failed_login_delay_ms, max_line, max_wildcard_scan, max_list_depth, max_list_entries,
        max_hash_size, ascii_scan_limit,
    }
    BanConfig { failures, window_secs, secs, max_secs }
    TimeoutsConfig {
        login_secs, idle_secs, data_connect_secs, data_stall_secs, data_minimum_window_secs,
        control_write_secs, shutdown_grace_secs, storage_connect_secs, storage_stall_secs,
    }
    KeepaliveConfig { enabled, idle_secs, interval_secs, retries }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::Size;

    fn merged(file: &str, top: &str) -> Config {
        let mut config = Config::parse(file).unwrap();
        config.overlay(Config::parse(top).unwrap());
        config
    }

    #[test]
    fn a_set_value_wins_and_an_unset_one_keeps_the_lower() {
        let mut value = Some(1);
        value.overlay(None);
        assert_eq!(value, Some(1));
        value.overlay(Some(2));
        assert_eq!(value, Some(2));
        let mut unset: Option<u8> = None;
        unset.overlay(None);
        assert_eq!(unset, None);
    }

    #[test]
    fn sections_merge_key_by_key() {
        let file = "root = \"f\"\ngreeting = \"hi\"\n[limits]\nmax_sessions = 7\nmax_line = 900\n\
                    [tls]\nrequired = \"login\"\nallow_ccc = false\n[rate]\nsession_upload = \"1MB\"";
        let top = "root = \"t\"\n[limits]\nmax_sessions = 9\n[tls]\nallow_ccc = true\n\
                   [rate]\nsession_download = 5";
        let c = merged(file, top);
        assert_eq!(c.root.as_deref(), Some(std::path::Path::new("t")));
        assert_eq!(c.greeting.as_deref(), Some("hi"));
        assert_eq!(
            (c.limits.max_sessions, c.limits.max_line),
            (Some(9), Some(900))
        );
        assert_eq!(
            (c.tls.required.as_deref(), c.tls.allow_ccc),
            (Some("login"), Some(true))
        );
        assert_eq!(c.rate.session_download, Some(Size::Bytes(5)));
        assert_eq!(c.rate.session_upload, Some(Size::Text("1MB".into())));
    }

    #[test]
    fn a_list_setting_is_replaced_and_entries_add_up() {
        let file = "listen = [\"127.0.0.1:21\", \"127.0.0.1:22\"]\n\
                    [[user]]\nname = \"a\"\npassword = \"x\"\n[quota.accounts]\na = 1\nb = 2";
        let top = "listen = [\"127.0.0.1:23\"]\n\
                   [[user]]\nname = \"b\"\npassword = \"y\"\n[quota.accounts]\nb = 3";
        let c = merged(file, top);
        assert_eq!(c.listen.unwrap().len(), 1);
        let names: Vec<&str> = c.users.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(c.quota.accounts["a"], Size::Bytes(1));
        assert_eq!(c.quota.accounts["b"], Size::Bytes(3));
        // Nothing over the file leaves it as it was.
        let c = merged(file, "");
        assert_eq!((c.listen.unwrap().len(), c.users.len()), (2, 1));
    }
}
