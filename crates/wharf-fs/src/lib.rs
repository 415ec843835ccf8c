//! The local-disk back-end of Wharf: [`LocalFs`] serves one directory as
//! `/`, and nothing outside it is ever reachable.
//!
//! ```
//! use std::sync::Arc;
//! use tokio::io::AsyncWriteExt;
//! use wharf_fs::LocalFs;
//! use wharf_vfs::{VPath, Vfs, WriteMode};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let served = dir.path();
//! let vfs: Arc<dyn Vfs> = Arc::new(LocalFs::new(served)?);
//! let path = VPath::parse("/../../etc/passwd")?; // resolves to /etc/passwd inside the root
//! assert!(vfs.metadata(&path).await.is_err());
//!
//! let mut upload = vfs.create(&VPath::parse("/hello.txt")?, WriteMode::Create).await?;
//! upload.write_all(b"hello").await?;
//! upload.finish().await?;
//! assert_eq!(std::fs::read(served.join("hello.txt"))?, b"hello");
//! # Ok(())
//! # }
//! ```
//!
//! # The jail: cap-std
//!
//! The root directory is opened once as a [`cap_std::fs::Dir`], and every
//! operation hands it a path relative to that handle. cap-std resolves each
//! path *beneath* the handle: a `..` that would climb out, an absolute
//! symlink target, and a relative symlink that leads outside all fail (with
//! `PermissionDenied`, "a path led outside of the filesystem") instead of
//! being followed. On Linux 5.6+ it asks the kernel to enforce this with
//! `openat2(RESOLVE_BENEATH)`; elsewhere it walks the path one component at
//! a time with `openat(O_NOFOLLOW)`, resolving symlinks itself. Symlinks
//! that stay inside the root keep working.
//!
//! Why cap-std rather than the alternatives:
//! - [`VPath`](wharf_vfs::VPath) already removes `..`, so string checks are
//!   not the problem; symlinks are. Checking a canonicalised path against
//!   the root prefix and then opening it is racy: a link can be swapped in
//!   between the check and the use. Only resolving relative to an open
//!   directory handle closes that race.
//! - Calling `openat2` for everything would need our own fallback for old
//!   kernels and other systems, and our own walk where the kernel cannot
//!   enforce the jail. cap-std (the Bytecode Alliance's crate behind
//!   Wasmtime's WASI file sandbox) already does both, and this crate stays
//!   `#![forbid(unsafe_code)]`; the one direct `openat2` below is a
//!   shortcut with cap-std behind it.
//! - `cap-async-std` is built on async-std, not Tokio. Instead the blocking
//!   calls run on threads of this crate's own: file calls (open, create,
//!   sync, rename, delete, metadata) on a pool that wakes few threads and
//!   the warmest first (`call_pool.rs`), and bulk work (the chunks of a
//!   transfer, listing batches) on Tokio's blocking pool.
//!
//! One shortcut, on Linux 5.12+ with the root on a local disk or memory
//! file system (ext4, xfs, btrfs, f2fs, zfs, bcachefs, tmpfs): opening a
//! file for download and reading metadata first try `openat2` with
//! `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV |
//! RESOLVE_CACHED` on the calling thread, through rustix's safe wrapper.
//! The kernel answers only if the whole path is in its dentry cache and on
//! the root's own mount, so the call does not wait for the disk, and the
//! jail is the one cap-std asks for. Anything else (a miss, an escape, an
//! error, a network or FUSE root, an older kernel) goes the cap-std way on
//! the file-call pool, which owns every error reply. Calls that change the
//! disk always go to the pool.
//!
//! Out of scope: hard links. A hard link inside the root to a file elsewhere
//! is the same file; only someone who can already write into the root (and
//! into that file's file system) can plant one.
//!
//! # Uploads
//!
//! [`WriteMode::Create`](wharf_vfs::WriteMode::Create) writes a hidden
//! temporary file (`.wharf-upload-<random>`) in the target's directory and,
//! on `finish`, syncs it (`fdatasync`) and renames it over the target: the
//! final name only ever holds a complete file, even after a crash.
//! [`LocalFs::with_sync`]`(false)` skips the sync (faster, as other FTP
//! servers do; a power cut may then lose an upload that was acknowledged).
//! An aborted or dropped upload removes its temporary file. Temporary files
//! never appear in listings and clients cannot name them; the ones a crash
//! leaves are removed by [`LocalFs::sweep_orphaned_uploads`], which wharfd
//! calls at start. Each is `flock`ed by its writer while it is written, and
//! the sweep never removes one whose lock is held, so servers sharing a
//! root do not delete each other's uploads.
//!
//! # Modes
//!
//! Only the permission bits `0o777` ever reach the disk through Wharf:
//! `set_permissions` refuses setuid, setgid and sticky (`PermissionDenied`,
//! which an FTP session answers with 550), a replacing upload keeps the
//! replaced file's `0o777` bits and drops its special bits, and an in-place
//! write (`Append`, `Resume`) clears them. New files get `0o666 & !umask`
//! and new directories `0o777 & !umask`, set explicitly rather than left to
//! the process-global umask; [`LocalFs::with_umask`] sets it (default
//! `0o022`: files `0644`, directories `0755`).
//!
//! `Append` and `Resume(offset)` never write the target in place: they
//! write a temporary file that starts as a copy of the target's kept part
//! (all of it, or its first `offset` bytes) and rename it over the target
//! on `finish`, so the name holds the old file or the whole new one, never
//! a mix, even after a crash; an aborted or dropped one leaves the old file
//! as it was. The copy is `copy_file_range` (a reflink where the file
//! system shares extents). Only a target that is a symlink is still
//! written in place, through the link.
//!
//! # Reads
//!
//! Downloads are read 1 MiB per trip to the blocking pool, one chunk ahead
//! of the socket (`ReadAhead`, an `AsyncBufRead` that lends its chunks).
//! For zero-copy transfers (`sendfile`),
//! [`Vfs::open_local`](wharf_vfs::Vfs::open_local) hands the session the
//! open `std::fs::File` at an offset, opened through the jail like
//! everything else.
//!
//! # Listings
//!
//! Directories are read in batches of 256 entries on the blocking pool, one
//! batch each time the consumer has drained the last. Symlinks that resolve
//! inside the root are listed as what they point to; the others (dangling,
//! or leading outside) as [`FileKind::Symlink`](wharf_vfs::FileKind).
#![doc(html_root_url = "https://docs.rs/wharf-fs/0.1.0")]

#[cfg(target_os = "linux")]
mod cached;
mod call_pool;
mod chunk;
mod convert;
mod copied;
mod create;
mod dir_read;
mod list;
mod local;
mod modes;
mod paths;
mod read;
mod read_ahead;
mod sink;
mod sweep;
mod temp_lock;
mod upload;

pub use local::LocalFs;
pub use sweep::Swept;
