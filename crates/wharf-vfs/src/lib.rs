//! The virtual file system behind Wharf: the storage seam that lets one FTP
//! engine serve local disk, memory and object stores alike.
//!
//! A session resolves each pathname a client sends into a [`VPath`] and
//! calls a [`Vfs`]: metadata, streamed listings, reads from an offset,
//! uploads that commit on [`Upload::finish`], directories, renames. Errors
//! are [`VfsError`]s whose [`VfsErrorKind`] the server maps to its replies.
//! Nothing here knows FTP.
//!
//! ```
//! use std::sync::Arc;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//! use wharf_vfs::{MemoryFs, VPath, Vfs, WriteMode};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let vfs: Arc<dyn Vfs> = Arc::new(MemoryFs::new());
//!
//! // Resolve what the client sent against its current directory.
//! let cwd = VPath::root();
//! let path = cwd.resolve(b"notes/../hello.txt")?;
//! assert_eq!(path.to_string(), "/hello.txt");
//!
//! // An upload becomes visible when it is finished...
//! let mut upload = vfs.create(&path, WriteMode::Create).await?;
//! upload.write_all(b"hello, world").await?;
//! assert_eq!(upload.finish().await?, 12);
//!
//! // ...and reads may start at an offset (REST + RETR).
//! let mut text = String::new();
//! vfs.open_read(&path, 7).await?.read_to_string(&mut text).await?;
//! assert_eq!(text, "world");
//! # Ok(())
//! # }
//! ```
//!
//! # Implementing a back-end
//!
//! Implement [`Vfs`] with the re-exported [`macro@async_trait`]. Only the
//! eight core methods are required; the optional ones default to
//! [`VfsErrorKind::Unsupported`] and [`Vfs::capabilities`] to none. This one
//! serves a few fixed files, read-only (`examples/readonly_vfs.rs` in the
//! repository is a runnable version):
//!
//! ```
//! use std::collections::BTreeMap;
//! use std::io::Cursor;
//! use std::sync::Arc;
//! use tokio::io::AsyncReadExt;
//! use wharf_vfs::{
//!     DirEntry, DirStream, FileReader, Metadata, Upload, VPath, Vfs, VfsError, WriteMode,
//!     async_trait, list_from_iter,
//! };
//!
//! /// Files at the root, fixed at compile time.
//! struct Fixed(BTreeMap<&'static str, &'static [u8]>);
//!
//! impl Fixed {
//!     fn file(&self, path: &VPath) -> Result<&'static [u8], VfsError> {
//!         let name = std::str::from_utf8(path.as_bytes()[1..].as_ref()).ok();
//!         name.and_then(|name| self.0.get(name).copied())
//!             .ok_or_else(|| VfsError::not_found(path))
//!     }
//! }
//!
//! #[async_trait]
//! impl Vfs for Fixed {
//!     async fn metadata(&self, path: &VPath) -> Result<Metadata, VfsError> {
//!         if path.is_root() {
//!             return Ok(Metadata::dir());
//!         }
//!         Ok(Metadata::file(self.file(path)?.len() as u64))
//!     }
//!     async fn list(&self, path: &VPath) -> Result<DirStream, VfsError> {
//!         if !path.is_root() {
//!             self.file(path)?;
//!             return Err(VfsError::not_a_directory(path));
//!         }
//!         let entries: Vec<_> = self.0.iter()
//!             .map(|(name, data)| Ok(DirEntry::new(*name, Metadata::file(data.len() as u64))))
//!             .collect();
//!         Ok(list_from_iter(entries))
//!     }
//!     async fn open_read(&self, path: &VPath, offset: u64) -> Result<FileReader, VfsError> {
//!         if path.is_root() {
//!             return Err(VfsError::is_a_directory(path));
//!         }
//!         let data = self.file(path)?;
//!         let rest = usize::try_from(offset).ok().and_then(|offset| data.get(offset..));
//!         Ok(Box::new(Cursor::new(rest.ok_or_else(|| VfsError::invalid_offset(path))?)))
//!     }
//!     async fn create(&self, path: &VPath, _: WriteMode) -> Result<Box<dyn Upload>, VfsError> {
//!         Err(VfsError::permission_denied(path))
//!     }
//!     async fn mkdir(&self, path: &VPath) -> Result<(), VfsError> {
//!         Err(VfsError::permission_denied(path))
//!     }
//!     async fn rmdir(&self, path: &VPath) -> Result<(), VfsError> {
//!         Err(VfsError::permission_denied(path))
//!     }
//!     async fn remove_file(&self, path: &VPath) -> Result<(), VfsError> {
//!         Err(VfsError::permission_denied(path))
//!     }
//!     async fn rename(&self, from: &VPath, _to: &VPath) -> Result<(), VfsError> {
//!         Err(VfsError::permission_denied(from))
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let vfs: Arc<dyn Vfs> = Arc::new(Fixed(BTreeMap::from([("motd.txt", &b"welcome"[..])])));
//! let mut text = String::new();
//! vfs.open_read(&VPath::parse("/motd.txt")?, 3).await?.read_to_string(&mut text).await?;
//! assert_eq!(text, "come");
//! # Ok(())
//! # }
//! ```
//!
//! # Mounts
//!
//! [`MountFs`] puts several back-ends into one tree: a root back-end, and
//! others mounted at paths in it, read-only or not (a user's home with
//! `/archive` from another store). Renames across mounts are refused with
//! [`VfsErrorKind::CrossesMount`]; see [`MountFs`] for the rules.
//!
//! # Testing
//!
//! With the `testing` feature, `testing::run_all` runs the conformance
//! suite against a back-end: every adapter runs it in its own tests.
#![doc(html_root_url = "https://docs.rs/wharf-vfs/0.1.0")]

mod capabilities;
mod error;
mod memory;
mod metadata;
mod mount;
mod stream;
mod upload;
mod vfs;
mod vpath;

#[cfg(feature = "testing")]
pub mod testing;

pub use capabilities::Capabilities;
pub use error::{BoxError, VfsError, VfsErrorKind};
pub use memory::MemoryFs;
pub use metadata::{DirEntry, FileKind, Metadata};
pub use mount::{MountError, MountFs};
pub use stream::{list_from_iter, next_entry};
pub use upload::{LocalFile, Upload, WriteMode};
pub use vfs::{DirStream, FileReader, OpenedFile, OpenedLocalFile, Vfs};
pub use vpath::{VPath, VPathError};

/// The attribute macro for implementing [`Vfs`] and [`Upload`], re-exported
/// from the `async-trait` crate so back-ends need not depend on it.
pub use async_trait::async_trait;
