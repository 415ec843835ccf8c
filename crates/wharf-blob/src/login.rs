//! Credential passthrough (seed 000): the FTP user name is the storage
//! account, the password its key. One cheap authenticated call decides;
//! nothing is stored or logged.

use crate::blobfs::BlobFs;
use crate::config::{BlobConfig, Store, View};
use crate::errors::BlobError;
use crate::rest::RestError;

/// Whether `name` can be an Azure storage account name: 3 to 24 lower-case
/// letters and digits. Anything else cannot log in (and never reaches a
/// URL).
fn valid_account_name(name: &str) -> bool {
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

/// Checks an Azure account name and key against the store and returns an
/// account view of it.
///
/// `endpoint` is the blob endpoint with `{account}` standing for the
/// account name: `https://{account}.blob.core.windows.net` for Azure,
/// `http://127.0.0.1:10000/{account}` for Azurite (whose extra accounts
/// come from `AZURITE_ACCOUNTS`). `base` supplies every other setting; its
/// store and view are replaced.
///
/// One request is made: list the account's containers, at most one. The
/// store answering 4xx (a wrong key, an unknown account) gives
/// [`BlobError::BadCredentials`]; no answer, or 5xx after retries, gives
/// [`BlobError::Unreachable`]. On Azure proper an unknown account name has
/// no DNS name, which shows as unreachable.
pub async fn login_azure(
    endpoint: &str,
    account: &str,
    key: &str,
    base: &BlobConfig,
) -> Result<BlobFs, BlobError> {
    if !valid_account_name(account) || key.is_empty() {
        return Err(BlobError::BadCredentials);
    }
    let endpoint = endpoint.replace("{account}", account);
    let config = base
        .clone()
        .with_store(Store::azure(endpoint, account, key))
        .with_view(View::Account);
    let fs = match BlobFs::new(config) {
        Ok(fs) => fs,
        // A key that is not base64 cannot be right.
        Err(BlobError::Config(_)) if !key_is_base64(key) => return Err(BlobError::BadCredentials),
        Err(err) => return Err(err),
    };
    fs.account
        .rest
        .az_list_containers(None, 1)
        .await
        .map_err(verdict)?;
    Ok(fs)
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
