//! Credential passthrough (seed 000): the FTP user name is the storage
//! account (or `account/container`), the password its key or a SAS token. One cheap authenticated call decides;
//! nothing is stored or logged.
//!
//! [`AzureLogin`] makes every check through one HTTP client, so a burst of
//! logins shares one connection pool instead of building one per login;
//! how many checks run at once is the caller's to bound (wharfd puts a
//! gate in front).

use std::time::Duration;

use std::time::SystemTime;

use object_store::azure::AzureAccessKey;
use object_store::client::HttpClient;

use crate::blobfs::BlobFs;
use crate::config::{AzureAuth, BlobConfig, Store, View};
use crate::connector::RingConnector;
use crate::errors::BlobError;
use crate::names::valid_container_name;
use crate::rest::{Rest, RestError, Signer};
use crate::retry::Backoff;
use crate::sas::SasToken;

/// The longest one check request may take (if the base configuration
/// allows less, that): a login check is a page of at most one container,
/// and a store that does not answer it within this time should not hold a
/// login, and the connection under it, for the ten minutes a transfer may
/// take.
pub const CHECK_REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// Whether `name` can be an Azure storage account name: 3 to 24 lower-case
/// letters and digits. Anything else cannot log in (and never reaches a
/// URL).
pub fn valid_account_name(name: &str) -> bool {
    (3..=24).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// The verdict on a failed check call.
fn verdict(err: RestError) -> BlobError {
    match err.status() {
        Some(status)
            if status.is_client_error() && status.as_u16() != 408 && status.as_u16() != 429 =>
        {
            BlobError::BadCredentials
        }
        _ => BlobError::Unreachable(Box::new(err)),
    }
}

/// Checks Azure account names and keys against the store, all through one
/// HTTP client (one connection pool), and returns an account view of each
/// account that passes.
///
/// `endpoint` is the blob endpoint with `{account}` standing for the
/// account name: `https://{account}.blob.core.windows.net` for Azure,
/// `http://127.0.0.1:10000/{account}` for Azurite (whose extra accounts
/// come from `AZURITE_ACCOUNTS`). `base` supplies every other setting of the
/// views; its store and view are replaced, and container public access may
/// be changed (the user holds the account key, so is its owner).
#[derive(Debug, Clone)]
pub struct AzureLogin {
    endpoint: String,
    base: BlobConfig,
    /// Shared by every check; cheap to clone.
    http: HttpClient,
}

impl AzureLogin {
    /// Builds the shared HTTP client. No request is made yet.
    pub fn new(endpoint: impl Into<String>, base: &BlobConfig) -> Result<Self, BlobError> {
        let connector = RingConnector {
            connect_timeout: base.connect_timeout,
            request_timeout: Some(base.request_timeout.map_or(CHECK_REQUEST_TIMEOUT, |total| {
                total.min(CHECK_REQUEST_TIMEOUT)
            })),
            stall_timeout: base.stall_timeout,
            roots: crate::connector::roots(base),
        };
        let http = connector
            .client()
            .map_err(|err| BlobError::Config(err.to_string()))?;
        Ok(Self {
            endpoint: endpoint.into(),
            base: base.clone().with_container_access_changes(true),
            http: connector.guarded(http),
        })
    }

    /// Checks a login: `user` is `ACCOUNT` (the account view) or
    /// `ACCOUNT/CONTAINER` (that container as `/`), `password` the account
    /// key or a SAS token ([`SasToken::looks_like_sas`]).
    ///
    /// One request is made: list the account's containers, or the
    /// container's blobs, at most one. The store answering 4xx (a wrong key
    /// or signature, an unknown account) gives
    /// [`BlobError::BadCredentials`]; no answer, or 5xx after retries,
    /// gives [`BlobError::Unreachable`]. On Azure proper an unknown account
    /// name has no DNS name, which shows as unreachable. A name that cannot
    /// be an account, an empty key or one that is not base64 is refused
    /// without a request.
    ///
    /// A SAS token limits the session to what it grants. Azure checks the
    /// signature before the permissions, so a token the store refuses the
    /// listing for want of a permission or resource type is genuine and
    /// logs in (its sessions hear what it lacks); an expired token, or a
    /// container SAS without a container in the user name, is refused
    /// before any request with [`BlobError::CredentialRefused`].
    pub async fn check(&self, user: &str, password: &str) -> Result<BlobFs, BlobError> {
        let (account, container) = match user.split_once('/') {
            Some((account, container)) => (account, Some(container)),
            None => (user, None),
        };
        if !valid_account_name(account)
            || password.is_empty()
            || container.is_some_and(|c| !valid_container_name(c))
        {
            return Err(BlobError::BadCredentials);
        }
        let sas = SasToken::looks_like_sas(password);
        let auth = if sas {
            let token = SasToken::parse(password).map_err(|_| BlobError::BadCredentials)?;
            if token.expired_at(SystemTime::now()) {
                return Err(BlobError::CredentialRefused(format!(
                    "the SAS token expired at {}",
                    token.expiry().unwrap_or("its expiry")
                )));
            }
            if container.is_none() && !token.is_account_sas() {
                return Err(BlobError::CredentialRefused(
                    "a SAS token for one container logs in as ACCOUNT/CONTAINER".into(),
                ));
            }
            AzureAuth::Sas(token)
        } else {
            match AzureAccessKey::try_new(password) {
                Ok(_) => AzureAuth::SharedKey(password.to_owned()),
                // A key that is not base64 cannot be right.
                Err(_) if !key_is_base64(password) => return Err(BlobError::BadCredentials),
                Err(err) => return Err(BlobError::Config(err.to_string())),
            }
        };
        let endpoint = self.endpoint.replace("{account}", account);
        let view = container.map_or(View::Account, |c| View::Container(c.to_owned()));
        let config = self
            .base
            .clone()
            .with_store(Store::azure_with(endpoint, account, auth))
            .with_view(view);
        let Store::Azure { endpoint, auth, .. } = &config.store else {
            return Err(BlobError::Config("not an Azure store".into()));
        };
        if !endpoint.starts_with("http://") && !endpoint.starts_with("https://") {
            return Err(BlobError::Config(format!(
                "endpoint {endpoint:?} must start with http:// or https://"
            )));
        }
        let rest = Rest {
            http: self.http.clone(),
            signer: Signer::azure(account, auth)?,
            endpoint: endpoint.clone(),
            addressing: crate::S3Addressing::Path,
            backoff: Backoff {
                first: config.retry_backoff,
                retries: config.max_retries,
                on_retry: config.on_retry.clone(),
            },
        };
        let checked = match container {
            None => rest.az_list_containers(None, 1).await.map(drop),
            Some(container) => rest
                .az_list_blobs(container, "", true, None, 1)
                .await
                .map(drop),
        };
        match checked {
            Ok(()) => {}
            // Genuine, but without list: the session hears what it lacks.
            Err(RestError::Refused(refusal)) if sas && !refusal.rejects_credential() => {}
            Err(err) => return Err(verdict(err)),
        }
        // The session's own view: it connects when first used.
        BlobFs::new(config)
    }
}

/// Checks one Azure account name and key against the store and returns an
/// account view of it: [`AzureLogin::check`] with a client of its own.
/// Servers that check many logins keep one [`AzureLogin`] instead.
pub async fn login_azure(
    endpoint: &str,
    account: &str,
    key: &str,
    base: &BlobConfig,
) -> Result<BlobFs, BlobError> {
    AzureLogin::new(endpoint, base)?.check(account, key).await
}

/// Checks an S3 access key pair against the store (one `ListBuckets`) and
/// returns an account view listing the buckets.
pub async fn login_s3(
    endpoint: &str,
    region: &str,
    access_key_id: &str,
    secret_access_key: &str,
    base: &BlobConfig,
) -> Result<BlobFs, BlobError> {
    if access_key_id.is_empty() || secret_access_key.is_empty() {
        return Err(BlobError::BadCredentials);
    }
    let config = base
        .clone()
        .with_store(Store::s3(
            endpoint,
            region,
            access_key_id,
            secret_access_key,
        ))
        .with_view(View::Account);
    let fs = BlobFs::new(config)?;
    fs.account.rest.s3_list_buckets().await.map_err(verdict)?;
    Ok(fs)
}

fn key_is_base64(key: &str) -> bool {
    !key.is_empty()
        && key.len().is_multiple_of(4)
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
}
