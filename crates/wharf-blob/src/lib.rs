//! The object-store back-end of Wharf: Azure Blob Storage and S3 served as
//! a file system, through [object_store](https://docs.rs/object_store).
//!
//! ```no_run
//! use std::sync::Arc;
//! use tokio::io::AsyncWriteExt;
//! use wharf_blob::{BlobConfig, BlobFs, Store, View};
//! use wharf_vfs::{VPath, Vfs, WriteMode};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Azurite's well-known development account, in the account view.
//! let store = Store::azure(
//!     "http://127.0.0.1:10000/devstoreaccount1",
//!     "devstoreaccount1",
//!     "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
//! );
//! let vfs: Arc<dyn Vfs> = Arc::new(BlobFs::new(BlobConfig::new(store, View::Account))?);
//! vfs.mkdir(&VPath::parse("/photos")?).await?; // a new container
//! vfs.mkdir(&VPath::parse("/photos/2024")?).await?; // a folder: photos/2024/.placeholder
//! let mut upload = vfs.create(&VPath::parse("/photos/2024/cat.jpg")?, WriteMode::Create).await?;
//! upload.write_all(b"...").await?;
//! upload.finish().await?; // now the blob exists
//! vfs.set_permissions(&VPath::parse("/photos")?, 0o755).await?; // public container
//! # Ok(())
//! # }
//! ```
//!
//! # Shapes
//!
//! [`View::Container`] serves one container (or bucket) as `/`;
//! [`BlobFs::with_prefix`] narrows it to one folder of it (a user's home,
//! `users/bob/`), sharing the container's HTTP clients.
//! [`View::Account`] shows the account's containers (Azure) or buckets (S3)
//! as the top-level folders: `mkdir /name` creates a container (Azure's
//! naming rules are checked, `InvalidName` otherwise), `rmdir /name` deletes
//! an empty one, renaming `/a` to `/b` creates `b`, copies every blob
//! server-side and deletes `a` (it refuses to start if `b` exists), and on
//! Azure `set_permissions` on `/name` sets the container's public access:
//! o+rx is `container` (list and read), o+r is `blob` (read), anything else
//! private. Listings show it as mode bits: `0o755`, `0o754`, `0o750`.
//! [`BlobConfig::container_access_changes`] (on by default) turns such
//! changes off (`PermissionDenied`) where several users share one account
//! that none of them owns.
//!
//! # Folders
//!
//! Folders are name prefixes. `mkdir` writes a zero-length marker so an
//! empty folder exists: `.placeholder` inside it by default, or a blob named
//! `folder/` ([`FolderMarker::TrailingSlash`], Azure only). Markers are never
//! listed, and clients cannot create a file named like the placeholder.
//! `rmdir` of a non-empty folder fails with `DirectoryNotEmpty`, never
//! deleting recursively. Removing the last file of a folder writes its
//! marker, so the folder stays, as on a disk. Renaming a folder copies every
//! blob under it server-side one listing page ([`BlobConfig::page_size`])
//! at a time, [`BlobConfig::copy_parallelism`] copies at once, and deletes
//! a page's sources once every copy of the page succeeded, so it holds one
//! page of names whatever the folder's size; a [`RenameError`] says what is
//! where when it stops half-way.
//!
//! # Transfers
//!
//! Uploads stream into block (Azure) or multipart (S3) uploads and become
//! visible only on `finish`; an aborted or dropped upload aborts the
//! multipart upload and leaves no blob. Memory per upload is at most three
//! parts (one filling, one queued, [`upload::IN_FLIGHT`] = 1 uploading).
//! Parts start at 8 MiB and double every 1000 parts: **24 MiB per upload**
//! for uploads up to 7.8 GiB, 3 × the current part size beyond. The
//! largest upload is then about 7.8 TiB on S3 (its maximum object is
//! 5 TiB) and about 160 TiB on Azure (50,000 blocks of at most 4000 MiB).
//! Uploads smaller than one part are a single `PUT`. All uploads together
//! hold at most their [`UploadMemory`] budget (512 MiB, process-wide, by
//! default): past it they wait for room, and so does their client. A part
//! must fit the budget (less its 8 MiB reserve) whole, so the budget also
//! caps the largest upload: about 7.8 GiB at 16 MiB, 23 GiB at 32 MiB,
//! 492 GiB at the default 512 MiB, 992 GiB at 1 GiB; the store's own
//! maximum needs about 4 GiB. Past the cap the upload fails and says to
//! raise the budget.
//!
//! Downloads are a streamed ranged `GET` from the requested offset, with
//! no request before it; a body read resumed after a failure is pinned to
//! the ETag of the first answer.
//!
//! `Append` and `Resume(offset)` build a new object from the kept start of
//! the old one and the upload, committed on `finish`. A small kept start
//! (S3: under 5 MiB; Azure: up to 8 MiB) is copied through the server; a
//! larger one stays server-side: on S3 as `UploadPartCopy` parts of a
//! multipart upload, on Azure as the old blob's committed blocks plus
//! blocks staged with Put Block From URL. Both are conditional on the ETag
//! seen at open. On GCS an `Append` to a large object composes the new
//! bytes onto it, conditional on its generation; a `Resume` that keeps
//! part of a large object is `Unsupported` (GCS copies whole objects
//! only). Where the store refuses, they fail with `Unsupported`
//! ([`AppendError`]) rather than rewrite a large object client-side.
//!
//! # Times
//!
//! `set_mtime` (`MFMT`) stores the time in the blob's metadata under
//! `mtime` (the key rclone uses). `metadata` reports it, falling back to the
//! store's last-modified. Azure listings show it too (they are read with
//! `include=metadata`); S3 listings cannot carry user metadata, so they show
//! the store's time.
//!
//! # Errors and retries
//!
//! Timeouts, 5xx answers and throttling are retried with exponential
//! backoff ([`BlobConfig::with_retries`]); what still fails is
//! `VfsErrorKind::Transient`.
//!
//! The store's error code picks the kind and a reason for the client
//! ([`VfsError::reason`](wharf_vfs::VfsError::reason)) where it means
//! something the HTTP status does not say: a blob in the archive tier
//! (`BlobArchived`), a lease held by another client (`LeaseIdMissing`),
//! public access disabled on the account (`PublicAccessNotPermitted`), a
//! container being deleted, throttling (`ServerBusy`, S3's `SlowDown`), S3's
//! `AccessDenied`. An Azure `403` names the permission the credential
//! lacks. Other codes get the kind of their status.
//!
//! # Names
//!
//! Blob names are UTF-8 ([`Capabilities::non_utf8_names`] is false).
//! ASCII control characters, which object_store cannot carry, are stored
//! as `%XX`.
//!
//! [`Capabilities::non_utf8_names`]: wharf_vfs::Capabilities::non_utf8_names
#![doc(html_root_url = "https://docs.rs/wharf-blob/0.1.0")]

mod account;
mod append;
mod assume_role;
mod blobfs;
mod bucket;
mod chunk_pool;
mod client;
mod config;
mod connection_string;
mod connector;
mod error_codes;
mod errors;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod gcs;
mod identity;
mod list;
mod login;
pub mod memory;
mod names;
mod objects;
mod ops;
mod part_buffer;
mod parts;
mod prefix;
mod read;
mod refusal;
mod rename;
mod rest;
mod retry;
mod s3_auth;
mod s3_urls;
pub mod sas;
mod stall;
mod time;
mod transport;
pub mod upload;
mod xml;

pub use append::AppendError;
pub use blobfs::BlobFs;
pub use chunk_pool::UPLOAD_CHUNK_POOL_BYTES;
pub use config::{AzureAuth, BlobConfig, FolderMarker, RetryHook, Store, View};
pub use errors::BlobError;
pub use gcs::GcsAuth;
pub use identity::EntraIdentity;
pub use login::{AzureLogin, CHECK_REQUEST_TIMEOUT, login_azure, login_s3, valid_account_name};
pub use memory::UploadMemory;
pub use names::valid_container_name;
pub use objects::{ConditionalObjects, ObjectError};
pub use refusal::{Operation, Refusal};
pub use rename::RenameError;
pub use rest::RestError;
pub use s3_auth::{AssumeRole, S3Auth};
pub use s3_urls::S3Addressing;
pub use sas::SasToken;
