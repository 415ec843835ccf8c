//! Seed 000's login: the FTP user name is an Azure storage account name and
//! the password its key. The store itself decides (one cheap
//! authenticated call); each session gets its own client for the account,
//! whose containers are the folders of `/`. Nothing is stored or logged.
//!
//! The safer form: the password is a SAS token (`sv=...&sig=...`, with or
//! without its `?`), so that users need not hand the master key to the
//! server. An account SAS logs in as `ACCOUNT` (the account view); a
//! container SAS as `ACCOUNT/CONTAINER` (that container as `/`). The
//! token's permissions bound the session, and a refusal names the
//! permission it lacks (`550 ...: the SAS token lacks write (w)
//! permission, ...`); an expired token gets `530` at login, and `550`
//! saying it expired when it expires mid-session.
//!
//! The password may be the account's master key, so three limits stand in
//! front of the store, whatever the password:
//! - wharfd refuses to start unless logins need TLS
//!   (`--tls-required login|all`), or the operator accepts keys in clear
//!   by name (`--allow-account-keys-in-clear`);
//! - `--azure-accounts` lists the accounts that may log in; any other name
//!   is refused before a request is made (no list: all, with a warning);
//! - every check goes through one HTTP client ([`AzureLogin`]) behind a
//!   [`CheckGate`]: at most [`MAX_CHECKS_AT_ONCE`] requests in flight, at
//!   most [`MAX_CHECKS_WAITING`] logins queued behind them, and a login
//!   beyond that is refused at once. A flood of logins then costs a bounded
//!   number of outbound connections, and cannot make wharfd a multiplier
//!   of requests against the store.

use crate::metrics::{Measured, StorageCounters};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use async_trait::async_trait;
use tracing::warn;
use wharf_blob::{AzureLogin, BlobConfig, BlobError, FolderMarker, Store, View};
use wharf_session::{AuthContext, AuthError, Authenticator, Login, TlsPolicy, UserList};

use crate::check_gate::CheckGate;
use crate::config::Config;
use crate::storage::StorageAccess;

/// Store checks in flight at once. Each holds one outbound connection for
/// one small request; 16 keep a burst of honest logins quick while a flood
/// cannot open more than 16 connections to the store.
pub(crate) const MAX_CHECKS_AT_ONCE: usize = 16;

/// Logins that may wait for a check slot. A login beyond these is refused
/// at once (the client sees 421 and may retry), rather than holding its
/// session and memory in an unbounded queue.
pub(crate) const MAX_CHECKS_WAITING: usize = 64;

/// The longest a login may take in the gate, waiting and checking together;
/// then it is refused as a back-end failure. Bounds how long one slow or
/// silent store holds a slot.
pub(crate) const CHECK_DEADLINE: Duration = Duration::from_secs(30);

/// `--azure-accounts` / `[azure] accounts`: the accounts that may log in,
/// each checked to be a possible account name; empty means every account.
pub(crate) fn allowed_accounts(config: &Config) -> Result<Vec<String>> {
    let names = config.azure.accounts.clone().unwrap_or_default();
    for name in &names {
        if !wharf_blob::valid_account_name(name) {
            bail!(
                "--azure-accounts ([azure] accounts) {name:?}: not a storage account name (3 to 24 lower-case letters and digits)"
            );
        }
    }
    Ok(names)
}

/// Refuses passthrough where FTP passwords, the account keys, could cross
/// the network in clear, unless the operator said so by name.
/// A throwaway certificate (`--tls-self-signed`) counts as no protection:
/// clients cannot verify it, so a man in the middle could take the keys.
pub(crate) fn refuse_keys_in_clear(
    config: &Config,
    tls: &TlsPolicy,
    self_signed: bool,
) -> Result<()> {
    let accepted = config.azure.allow_account_keys_in_clear.unwrap_or(false);
    if accepted {
        return Ok(());
    }
    if tls.login && self_signed {
        bail!(
            "--azure-passthrough takes storage account keys (or SAS tokens) as FTP passwords, and --tls-self-signed \
             makes a certificate no client can verify, so a man in the middle could take the keys: \
             give the server's certificate (--tls-cert, --tls-key), or accept the risk with \
             --allow-account-keys-in-clear"
        );
    }
    if tls.login {
        return Ok(());
    }
    Err(anyhow!(
        "--azure-passthrough takes storage account keys (or SAS tokens) as FTP passwords, and logins do not need TLS: \
         add --tls-required login (or all) with a certificate ([tls] required = \"login\"), \
         or accept keys in clear with --allow-account-keys-in-clear ([azure] allow_account_keys_in_clear = true)"
    ))
}

/// Local users first, then the storage account named by the user.
pub(crate) struct AzurePassthrough {
    /// One HTTP client for every check.
    login: AzureLogin,
    /// The accounts that may log in; empty: all.
    accounts: BTreeSet<String>,
    gate: CheckGate,
    /// Accounts of the users file and flags, checked first.
    local: UserList,
    /// Counts each session's storage calls, with metrics on.
    measure: Option<StorageCounters>,
}

impl AzurePassthrough {
    /// `endpoint` is the blob endpoint with `{account}` for the account
    /// name; `accounts` those that may log in (empty: all, with a warning).
    /// `access` gives the timeouts and CA roots every store gets.
    pub(crate) fn new(
        endpoint: String,
        folder_marker: FolderMarker,
        accounts: Vec<String>,
        local: UserList,
        access: &StorageAccess,
    ) -> Result<Self> {
        Self::measured(endpoint, folder_marker, accounts, local, access, None)
    }

    /// [`AzurePassthrough::new`], counting every session's storage calls
    /// and retries into `measure` (metrics).
    pub(crate) fn measured(
        endpoint: String,
        folder_marker: FolderMarker,
        accounts: Vec<String>,
        local: UserList,
        access: &StorageAccess,
        measure: Option<StorageCounters>,
    ) -> Result<Self> {
        // The store and view are replaced at each login. The user holds the
        // account key, so may change a container's public access.
        let mut base = BlobConfig::new(Store::azure(endpoint.clone(), "", ""), View::Account)
            .with_folder_marker(folder_marker)
            .with_container_access_changes(true);
        if let Some(counters) = &measure {
            base = base.with_retry_hook(counters.retry_hook("azure"));
        }
        let base = crate::storage::store_settings(base, access)?;
        let login =
            AzureLogin::new(endpoint, &base).map_err(|e| anyhow!("--azure-passthrough: {e}"))?;
        if accounts.is_empty() {
            warn!(
                "--azure-passthrough: every storage account may log in; list those that may with --azure-accounts"
            );
        }
        Ok(Self {
            login,
            accounts: accounts.into_iter().collect(),
            gate: CheckGate::new(MAX_CHECKS_AT_ONCE, MAX_CHECKS_WAITING, CHECK_DEADLINE),
            local,
            measure,
        })
    }

    /// Whether the account of `user` (`ACCOUNT` or `ACCOUNT/CONTAINER`)
    /// may log in.
    fn allowed(&self, user: &str) -> bool {
        let account = user.split_once('/').map_or(user, |(account, _)| account);
        self.accounts.is_empty() || self.accounts.contains(account)
    }
}

#[async_trait]
impl Authenticator for AzurePassthrough {
    async fn authenticate(
        &self,
        user: &str,
        password: &[u8],
        context: &AuthContext,
    ) -> Result<Login, AuthError> {
        if self.local.knows(user) {
            return self.local.authenticate(user, password, context).await;
        }
        self.storage_login(user, password).await
    }

    fn tls_exempt(&self, user: &str) -> bool {
        self.local.tls_exempt(user)
    }

    fn is_anonymous(&self, user: &str) -> bool {
        self.local.is_anonymous(user)
    }
}

impl AzurePassthrough {
    /// The login of a user who is not a local one: a storage account, or
    /// a container of one.
    async fn storage_login(&self, user: &str, password: &[u8]) -> Result<Login, AuthError> {
        // Off the list: no request, so no store sees the attempt.
        if !self.allowed(user) {
            return Err(AuthError::InvalidCredentials);
        }
        let key = std::str::from_utf8(password).map_err(|_| AuthError::InvalidCredentials)?;
        let check = async {
            match self.login.check(user, key).await {
                Ok(fs) => {
                    let mut vfs: Arc<dyn wharf_vfs::Vfs> = Arc::new(fs);
                    if let Some(counters) = &self.measure {
                        vfs = Measured::wrap(vfs, "azure", counters.clone());
                    }
                    Ok(Login::new(user, vfs, true))
                }
                Err(BlobError::BadCredentials) => Err(AuthError::InvalidCredentials),
                Err(BlobError::CredentialRefused(why)) => {
                    // Never secret (an expiry, a missing container): it
                    // tells the operator why a login with a token failed.
                    warn!(user, reason = %why, "storage login refused");
                    Err(AuthError::InvalidCredentials)
                }
                Err(error) => {
                    warn!(account = user, %error, "storage account check failed");
                    Err(AuthError::Backend(
                        "the storage service could not be reached".into(),
                    ))
                }
            }
        };
        self.gate.run(check).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::net::TcpListener;
    use tokio::time::{Instant, timeout};

    use super::*;

    const KEY: &str = "a2V5LWtleS1rZXkta2V5LWtleS1rZXkta2V5LWtleQ==";

    /// A "store" on loopback that accepts connections, counts them, and
    /// never answers (each check then holds its connection).
    async fn silent_store() -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                held.push(socket);
            }
        });
        (format!("http://127.0.0.1:{port}/{{account}}"), accepted)
    }

    /// A "store" that answers every request with 403 on a kept-alive
    /// connection, counting connections.
    async fn refusing_store() -> (String, Arc<AtomicUsize>) {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut socket = BufReader::new(socket);
                    let mut line = String::new();
                    loop {
                        line.clear();
                        match socket.read_line(&mut line).await {
                            Ok(0) | Err(_) => return,
                            Ok(_) if line == "\r\n" => {
                                let answer = "HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n";
                                if socket.get_mut().write_all(answer.as_bytes()).await.is_err() {
                                    return;
                                }
                            }
                            Ok(_) => {}
                        }
                    }
                });
            }
        });
        (format!("http://127.0.0.1:{port}/{{account}}"), accepted)
    }

    async fn wait_for(what: impl Fn() -> bool) {
        let started = Instant::now();
        while !what() && started.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// A flood of logins against a store that never answers opens at most
    /// [`MAX_CHECKS_AT_ONCE`] connections, and the logins beyond the queue
    /// are refused at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_flood_of_logins_opens_a_bounded_number_of_connections() {
        let (endpoint, accepted) = silent_store().await;
        let bridge = Arc::new(
            AzurePassthrough::new(
                endpoint,
                FolderMarker::default(),
                Vec::new(),
                UserList::new(),
                &StorageAccess::new(&Config::parse("").unwrap()),
            )
            .unwrap(),
        );
        let flood = MAX_CHECKS_AT_ONCE + MAX_CHECKS_WAITING + 20;
        let refused = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..flood {
            let (bridge, refused) = (bridge.clone(), refused.clone());
            tasks.push(tokio::spawn(async move {
                let result = bridge.storage_login("flooded", KEY.as_bytes()).await;
                if matches!(result, Err(AuthError::Busy)) {
                    refused.fetch_add(1, Ordering::SeqCst);
                }
            }));
        }
        wait_for(|| {
            accepted.load(Ordering::SeqCst) >= MAX_CHECKS_AT_ONCE
                && refused.load(Ordering::SeqCst) >= 20
        })
        .await;
        // Give any unbounded connector time to show itself.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(accepted.load(Ordering::SeqCst), MAX_CHECKS_AT_ONCE);
        assert_eq!(refused.load(Ordering::SeqCst), 20);
        for task in tasks {
            task.abort();
        }
    }

    #[tokio::test]
    async fn an_account_off_the_list_is_refused_without_a_request() {
        let (endpoint, accepted) = silent_store().await;
        let bridge = Arc::new(
            AzurePassthrough::new(
                endpoint,
                FolderMarker::default(),
                vec!["allowed1".into()],
                UserList::new(),
                &StorageAccess::new(&Config::parse("").unwrap()),
            )
            .unwrap(),
        );
        let result = timeout(
            Duration::from_secs(2),
            bridge.storage_login("other1", KEY.as_bytes()),
        )
        .await
        .expect("refused at once");
        assert!(
            matches!(result, Err(AuthError::InvalidCredentials)),
            "{result:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(accepted.load(Ordering::SeqCst), 0, "the store was asked");
        // A listed account is checked with the store.
        let allowed = bridge.clone();
        let task = tokio::spawn(async move {
            allowed
                .storage_login("allowed1", KEY.as_bytes())
                .await
                .is_ok()
        });
        wait_for(|| accepted.load(Ordering::SeqCst) > 0).await;
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
        task.abort();
    }

    /// Logins one after another share one HTTP client, so they share its
    /// kept-alive connection instead of opening one each.
    #[tokio::test]
    async fn checks_share_one_http_client() {
        let (endpoint, accepted) = refusing_store().await;
        let bridge = AzurePassthrough::new(
            endpoint,
            FolderMarker::default(),
            Vec::new(),
            UserList::new(),
            &StorageAccess::new(&Config::parse("").unwrap()),
        )
        .unwrap();
        for _ in 0..3 {
            let result = bridge.storage_login("shared1", KEY.as_bytes()).await;
            assert!(
                matches!(result, Err(AuthError::InvalidCredentials)),
                "{result:?}"
            );
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    }
}
