//! The lock that marks an upload temporary file as live.
//!
//! Every temporary file is `flock`ed (exclusive) by its writer right after
//! it is created and stays locked while its descriptor is open: until the
//! rename or removal that ends the upload, or until the process dies, when
//! the kernel drops the lock. The start-up sweep tries the same lock
//! without waiting: a file whose lock is held belongs to a live upload (in
//! this process or another server sharing the root) and is never removed,
//! whatever its age.
//!
//! Why `flock` rather than only the age of the file: a stalled but live
//! upload can sit unmodified for as long as the stall bound allows, and a
//! fleet sharing one directory restarts nodes while others upload. Why
//! the age rule stays beside it: a sweep that slips between a writer's
//! create and its lock must not win (the writer's rename would then fail),
//! and where locks do not work (a file system without them, or an NFS
//! mount with `local_lock=flock`/`nolock`, whose locks other hosts cannot
//! see) only the age can tell.
//!
//! On Linux this is `flock(2)` through rustix; elsewhere there is no lock
//! and the sweep goes by age alone.

use cap_std::fs::File;

/// What a non-blocking try of a temporary file's lock found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Probe {
    /// Someone holds it: a live upload.
    Held,
    /// Taken here (and held as long as the probed descriptor is open): no
    /// live writer anywhere the lock is visible.
    Free,
    /// Locks are not available for this file; only its age can tell.
    Unknown,
}

/// Takes the writer's lock on a temporary file just created. A failure is
/// ignored: the file is then protected by its age only, as without locks.
pub(crate) fn hold(file: &File) {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{FlockOperation, flock};
        if let Err(err) = flock(file, FlockOperation::NonBlockingLockExclusive) {
            tracing::debug!(%err, "upload temporary file not locked; the sweep goes by its age");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = file;
}

/// Tries the lock of a temporary file without waiting.
pub(crate) fn probe(file: &File) -> Probe {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{FlockOperation, flock};
        match flock(file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => Probe::Free,
            Err(err) if err == rustix::io::Errno::WOULDBLOCK => Probe::Held,
            Err(_) => Probe::Unknown,
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        Probe::Unknown
    }
}
