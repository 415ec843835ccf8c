//! Permission bits of what `LocalFs` creates or changes.
//!
//! Only the nine permission bits (`0o777`) ever reach the disk through
//! Wharf. Setuid, setgid and sticky are refused by `set_permissions` and
//! never carried over by an upload: a server started as root would
//! otherwise store root-owned setuid programs for any writable user, and a
//! replaced file's setuid bit would bless contents nobody vetted.
//!
//! New files get `0o666 & !umask`, new directories `0o777 & !umask`, set
//! explicitly with `fchmod`/`chmod` after the create call rather than left
//! to the process umask, which is process-global (another library, or an
//! embedding program, may change it at any time). The create call itself
//! is given the same mode, so the kernel's mask can only narrow it in the
//! moment before the explicit mode is set.

use wharf_vfs::{VPath, VfsError, VfsErrorKind};

/// The permission bits: read, write and execute for owner, group, others.
pub(crate) const PERMISSION_BITS: u32 = 0o777;

/// The umask new files and directories get unless
/// [`LocalFs::with_umask`](crate::LocalFs::with_umask) says otherwise:
/// files `0o644`, directories `0o755`.
pub(crate) const DEFAULT_UMASK: u32 = 0o022;

/// The mode of a new file under `umask`.
pub(crate) const fn file_mode(umask: u32) -> u32 {
    0o666 & !umask
}

/// The mode of a new directory under `umask`.
pub(crate) const fn dir_mode(umask: u32) -> u32 {
    0o777 & !umask
}

/// The permission bits of an existing file, without setuid, setgid and
/// sticky: what a replacing upload keeps.
pub(crate) const fn kept_bits(mode: u32) -> u32 {
    mode & PERMISSION_BITS
}

/// `mode` if it holds permission bits only; setuid, setgid, sticky and
/// anything above them are refused with `PermissionDenied` (550), and
/// nothing is changed.
pub(crate) fn only_permission_bits(mode: u32, path: &VPath) -> Result<u32, VfsError> {
    if mode & !PERMISSION_BITS == 0 {
        return Ok(mode);
    }
    Err(VfsError::new(VfsErrorKind::PermissionDenied)
        .with_path(path)
        .with_source(format!(
            "mode {mode:o} refused: only the permission bits 0777 may be set, \
             not setuid, setgid or sticky"
        )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_follow_the_umask() {
        assert_eq!(file_mode(DEFAULT_UMASK), 0o644);
        assert_eq!(dir_mode(DEFAULT_UMASK), 0o755);
        assert_eq!(file_mode(0o077), 0o600);
        assert_eq!(dir_mode(0o077), 0o700);
        assert_eq!(file_mode(0), 0o666);
        assert_eq!(kept_bits(0o104_755), 0o755);
    }

    #[test]
    fn special_bits_are_refused() {
        let path = VPath::parse("/f").unwrap_or_else(|_| VPath::root());
        assert_eq!(only_permission_bits(0o755, &path).ok(), Some(0o755));
        for mode in [0o4755, 0o2755, 0o1777, 0o10_000] {
            let err = only_permission_bits(mode, &path).err();
            assert_eq!(
                err.map(|e| e.kind()),
                Some(VfsErrorKind::PermissionDenied),
                "{mode:o}"
            );
        }
    }
}
