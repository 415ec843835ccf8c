//! The file half of a spliced upload: from the pipe into the file, on the
//! blocking pool, since a write into a file may block on the disk.

use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::sync::Arc;

use rustix::io::{Errno, read};
use rustix::pipe::{SpliceFlags, splice};

use super::pipes::Pipe;

/// Moves the `len` bytes the pipe holds into `file` at its position, on
/// the blocking pool; gives the emptied pipe back.
///
/// If the caller stops waiting (ABOR, the storage bound), the hop still
/// finishes its pipeful and then closes the pipe: the pipe is never
/// handed back half full.
pub(super) async fn to_file(pipe: Pipe, file: Arc<File>, len: usize) -> io::Result<Pipe> {
    let hop = tokio::task::spawn_blocking(move || {
        let drained = drain(&pipe.read_end, &file, len);
        drained.map(|()| pipe)
    });
    hop.await.map_err(io::Error::other)?
}

/// Moves exactly `len` bytes from the pipe into `file` at its position;
/// the file system may take them in several calls.
fn drain(pipe_out: &OwnedFd, file: &File, mut len: usize) -> io::Result<()> {
    while len > 0 {
        match splice(pipe_out, None, file, None, len, SpliceFlags::MOVE) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => len -= n,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Reads the `len` bytes the pipe holds back into memory. They are in the
/// pipe already, so no read waits (a pipe is memory, not a disk).
pub(super) fn read_small(pipe_out: &OwnedFd, len: usize) -> io::Result<Vec<u8>> {
    let mut bytes = vec![0; len];
    let mut at = 0;
    while at < len {
        match read(pipe_out, &mut bytes[at..]) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => at += n,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(bytes)
}
