//! Creating files and directories with explicit modes (see `modes.rs` for
//! the rules and why the process umask is not relied on).

use std::io;
use std::path::Path;

use cap_std::fs::{Dir, File, OpenOptions};

/// Creates the directory `rel` below `root` with mode `0o777 & !umask`.
pub(crate) fn create_dir(root: &Dir, rel: &Path, umask: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use cap_std::fs::{DirBuilder, DirBuilderExt, Permissions, PermissionsExt};
        let mode = crate::modes::dir_mode(umask);
        let mut builder = DirBuilder::new();
        builder.mode(mode);
        root.create_dir_with(rel, &builder)?;
        root.set_permissions(rel, Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = umask;
        root.create_dir(rel)
    }
}

/// Asks the create call for mode `0o666 & !umask` (the kernel may narrow
/// it with the process umask; [`set_new_file_mode`] then sets it exactly).
pub(crate) fn new_file_options(options: &mut OpenOptions, umask: u32) {
    #[cfg(unix)]
    {
        use cap_std::fs::OpenOptionsExt;
        options.mode(crate::modes::file_mode(umask));
    }
    #[cfg(not(unix))]
    let _ = (options, umask);
}

/// Gives a file just created mode `0o666 & !umask` (`fchmod`).
pub(crate) fn set_new_file_mode(file: &File, umask: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use cap_std::fs::{Permissions, PermissionsExt};
        file.set_permissions(Permissions::from_mode(crate::modes::file_mode(umask)))
    }
    #[cfg(not(unix))]
    {
        let _ = (file, umask);
        Ok(())
    }
}

/// Clears setuid, setgid and sticky on an existing file about to be
/// written in place (`APPE`, `REST`+`STOR`): its contents change, so no
/// special bit may vouch for them. The kernel does this on its own only
/// for writers without `CAP_FSETID`; a server running as root has it.
pub(crate) fn strip_special_bits(file: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use cap_std::fs::{Permissions, PermissionsExt};
        let mode = file.metadata()?.permissions().mode();
        let kept = crate::modes::kept_bits(mode);
        if kept != mode & 0o7777 {
            file.set_permissions(Permissions::from_mode(kept))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        Ok(())
    }
}
