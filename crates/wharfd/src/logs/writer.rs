//! A log file appended by a thread of its own, so that no session ever
//! waits on the disk. Lines wait in a bounded queue; when the disk falls
//! that far behind, new lines are dropped and counted rather than slow
//! transfers down. [`LogFile::reopen`] makes the thread close and reopen
//! the file by name (after logrotate moved it).

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use anyhow::{Context, Result};

/// Lines that may wait for the disk.
const QUEUE: usize = 16 * 1024;

enum Message {
    Line(String),
    /// Look at the reopen flag now.
    Wake,
}

/// An append-only log file written in the background.
#[derive(Debug)]
pub(crate) struct LogFile {
    path: PathBuf,
    queue: SyncSender<Message>,
    reopen: Arc<AtomicBool>,
    dropped: AtomicU64,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Line(_) => "Line",
            Self::Wake => "Wake",
        })
    }
}

fn open_append(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open the log file {}", path.display()))
}

impl LogFile {
    /// Opens `path` for appending now (so a wrong path stops the server at
    /// start) and starts the thread that writes it.
    pub(crate) fn open(path: &Path) -> Result<Arc<Self>> {
        let file = open_append(path)?;
        let (queue, lines) = sync_channel(QUEUE);
        let reopen = Arc::new(AtomicBool::new(false));
        let thread_path = path.to_owned();
        let thread_reopen = reopen.clone();
        std::thread::Builder::new()
            .name("wharfd-log".to_owned())
            .spawn(move || write_lines(&thread_path, file, &lines, &thread_reopen))
            .context("cannot start the log writer")?;
        Ok(Arc::new(Self {
            path: path.to_owned(),
            queue,
            reopen,
            dropped: AtomicU64::new(0),
        }))
    }

    /// Queues one line (without its newline); drops it when the queue is
    /// full.
    pub(crate) fn write(&self, line: String) {
        if let Err(TrySendError::Full(_)) = self.queue.try_send(Message::Line(line)) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Closes and reopens the file by its name, after the lines queued
    /// before.
    pub(crate) fn reopen(&self) {
        self.reopen.store(true, Ordering::Release);
        // A full queue wakes the thread anyway; the flag is read after
        // every line.
        let _ = self.queue.try_send(Message::Wake);
    }

    /// Lines dropped because the disk was too slow.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

/// The writer thread: appends lines, flushes whenever the queue is empty,
/// reopens when asked. Ends when every sender is gone.
fn write_lines(path: &Path, file: File, lines: &Receiver<Message>, reopen: &AtomicBool) {
    let mut out = BufWriter::new(file);
    while let Ok(first) = lines.recv() {
        let mut next = Some(first);
        while let Some(message) = next {
            if let Message::Line(line) = message
                && let Err(error) = writeln!(out, "{line}")
            {
                tracing::warn!(path = %path.display(), %error, "cannot write to the log file");
            }
            if reopen.swap(false, Ordering::Acquire) {
                let _ = out.flush();
                match open_append(path) {
                    Ok(file) => out = BufWriter::new(file),
                    Err(error) => {
                        tracing::warn!(%error, "log file reopen failed; writing to the old one");
                    }
                }
            }
            next = lines.try_recv().ok();
        }
        if let Err(error) = out.flush() {
            tracing::warn!(path = %path.display(), %error, "cannot write to the log file");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn wait_for(path: &Path, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got = std::fs::read_to_string(path).unwrap_or_default();
            if got.contains(text) || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn lines_are_appended_and_a_reopen_follows_a_rename() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.log");
        std::fs::write(&path, "old\n").unwrap();
        let log = LogFile::open(&path).unwrap();
        log.write("one".to_owned());
        assert_eq!(wait_for(&path, "one"), "old\none\n");
        // logrotate: move the file away, then ask for a reopen.
        let rotated = dir.path().join("x.log.1");
        std::fs::rename(&path, &rotated).unwrap();
        log.write("two".to_owned());
        assert_eq!(wait_for(&rotated, "two"), "old\none\ntwo\n");
        log.reopen();
        log.write("three".to_owned());
        assert_eq!(wait_for(&path, "three"), "three\n");
        assert_eq!(
            std::fs::read_to_string(&rotated).unwrap(),
            "old\none\ntwo\n"
        );
        assert_eq!(log.dropped(), 0);
    }
}
