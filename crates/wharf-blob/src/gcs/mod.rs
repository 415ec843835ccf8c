//! Google Cloud Storage: object_store's GCS client for credentials, reads
//! and listings, and the JSON API for what changes a bucket.
//!
//! object_store speaks GCS's XML API. Its reads (`GET`, `HEAD`, list) work
//! against both GCS and fake-gcs-server, the emulator the tests run; its
//! writes do not reach the emulator (it has no XML `PUT` of an object, no
//! XML copy and no XML multipart upload). Writes therefore go through the
//! JSON API, which GCS serves just as well: one-request uploads
//! (`uploadType=media`, or `multipart` when metadata travels along),
//! resumable uploads for anything larger than one part (`resumable.rs`),
//! `rewriteTo` for copies (across buckets too), `PATCH` for metadata and
//! `DELETE`. Every request, object_store's and these, carries the bearer
//! token of one credential provider (object_store's
//! [`GoogleCloudStorage::credentials`](object_store::gcp::GoogleCloudStorage::credentials)),
//! so a token is fetched and refreshed once for all of them.

mod auth;
pub(crate) mod compose;
pub(crate) mod names;
pub(crate) mod resumable;
pub(crate) mod store;

pub use auth::GcsAuth;
pub(crate) use auth::builder;

/// GCS's public endpoint, for the XML and the JSON API alike.
pub const DEFAULT_ENDPOINT: &str = "https://storage.googleapis.com";
