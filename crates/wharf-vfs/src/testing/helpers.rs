//! Small helpers the checks share; public for adapters' own tests. They
//! panic on failure, naming what they were doing.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinSet;

use crate::error::{VfsError, VfsErrorKind};
use crate::metadata::DirEntry;
use crate::stream::next_entry;
use crate::upload::WriteMode;
use crate::vfs::Vfs;
use crate::vpath::VPath;

/// Parses an absolute path given as bytes or text, panicking if invalid.
pub fn path(pathname: impl AsRef<[u8]>) -> VPath {
    let pathname = pathname.as_ref();
    VPath::parse(pathname)
        .unwrap_or_else(|err| panic!("bad test path {:?}: {err}", pathname.escape_ascii()))
}

/// `len` bytes of a deterministic pseudo-random pattern (xorshift), distinct
/// per `seed`.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// Uploads `data` to `path` in `WriteMode::Create` and finishes, checking
/// the byte count `finish` reports.
pub async fn write_file(vfs: &dyn Vfs, path: &VPath, data: &[u8]) {
    upload(vfs, path, WriteMode::Create, data).await;
}

/// Uploads `data` to `path` in `mode` and finishes.
pub(crate) async fn upload(vfs: &dyn Vfs, path: &VPath, mode: WriteMode, data: &[u8]) {
    let mut upload = vfs
        .create(path, mode)
        .await
        .unwrap_or_else(|err| panic!("create {path} ({mode:?}): {err}"));
    upload
        .write_all(data)
        .await
        .unwrap_or_else(|err| panic!("write to {path}: {err}"));
    let written = upload
        .finish()
        .await
        .unwrap_or_else(|err| panic!("finish {path}: {err}"));
    assert_eq!(written, data.len() as u64, "finish {path}: byte count");
}

/// Reads the file `path` from `offset` to its end.
pub async fn read_file(vfs: &dyn Vfs, path: &VPath, offset: u64) -> Vec<u8> {
    let mut reader = vfs
        .open_read(path, offset)
        .await
        .unwrap_or_else(|err| panic!("open_read {path} at {offset}: {err}"));
    let mut data = Vec::new();
    reader
        .read_to_end(&mut data)
        .await
        .unwrap_or_else(|err| panic!("read {path}: {err}"));
    data
}

/// Every entry of the directory `path`, sorted by name.
pub async fn list_entries(vfs: &dyn Vfs, path: &VPath) -> Vec<DirEntry> {
    let mut stream = vfs
        .list(path)
        .await
        .unwrap_or_else(|err| panic!("list {path}: {err}"));
    let mut entries = Vec::new();
    while let Some(entry) = next_entry(&mut stream).await {
        entries.push(entry.unwrap_or_else(|err| panic!("listing {path}: {err}")));
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    entries
}

/// The names in the directory `path`, sorted.
pub async fn list_names(vfs: &dyn Vfs, path: &VPath) -> Vec<Vec<u8>> {
    list_entries(vfs, path)
        .await
        .into_iter()
        .map(|entry| entry.name)
        .collect()
}

/// Asserts that `result` failed with `kind`; `what` names the operation.
#[track_caller]
pub fn expect_kind<T>(result: Result<T, VfsError>, kind: VfsErrorKind, what: &str) {
    match result {
        Err(err) if err.kind() == kind => {}
        Err(err) => panic!("{what}: expected {kind:?}, got {:?} ({err})", err.kind()),
        Ok(_) => panic!("{what}: expected {kind:?}, but it succeeded"),
    }
}

/// The printable form of a name for messages.
pub(crate) fn show(name: &[u8]) -> String {
    name.escape_ascii().to_string()
}

/// Waits for every task, re-raising the first panic.
pub(crate) async fn join_all<T: 'static>(mut tasks: JoinSet<T>, check: &str) -> Vec<T> {
    let mut results = Vec::new();
    while let Some(result) = tasks.join_next().await {
        match result {
            Ok(value) => results.push(value),
            Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            Err(err) => panic!("{check}: task failed: {err}"),
        }
    }
    results
}
