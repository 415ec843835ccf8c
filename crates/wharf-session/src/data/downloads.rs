//! The server's downloads in flight, and the choice each new plain local
//! download makes from them: the copy (faster while it has a core to
//! itself) or `sendfile` (less CPU per byte, faster when downloads share
//! the cores).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::options::LocalDownloads;

/// How one download of a local file is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Way {
    SendFile,
    Copy,
}

/// Counts the downloads (RETR) running on the server.
#[derive(Debug)]
pub(crate) struct Downloads {
    setting: LocalDownloads,
    running: Arc<AtomicUsize>,
    /// `Auto` copies while fewer than this many other downloads run.
    copy_below: usize,
}

/// One download in flight; no longer counted once dropped.
pub(crate) struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Downloads {
    /// `cpus`: the cores the server may use. A copy keeps about two busy
    /// (the read-ahead thread and the sending task), so `Auto` copies while
    /// the other downloads number fewer than half of them (at least one
    /// download is always copied when it runs alone).
    pub(crate) fn new(setting: LocalDownloads, cpus: usize) -> Self {
        Self {
            setting,
            running: Arc::new(AtomicUsize::new(0)),
            copy_below: (cpus / 2).max(1),
        }
    }

    /// The same count of downloads in flight, chosen by `setting` from now
    /// on (a reload).
    pub(crate) fn with_setting(&self, setting: LocalDownloads) -> Self {
        Self {
            setting,
            running: self.running.clone(),
            copy_below: self.copy_below,
        }
    }

    /// Counts a new download and chooses its way.
    pub(crate) fn start(&self) -> (Running, Way) {
        let others = self.running.fetch_add(1, Ordering::Relaxed);
        let way = match self.setting {
            LocalDownloads::SendFile => Way::SendFile,
            LocalDownloads::Copy => Way::Copy,
            LocalDownloads::Auto if others < self.copy_below => Way::Copy,
            LocalDownloads::Auto => Way::SendFile,
        };
        (Running(Arc::clone(&self.running)), way)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_copies_alone_and_sends_files_when_the_cores_are_shared() {
        let downloads = Downloads::new(LocalDownloads::Auto, 2);
        let (first, way) = downloads.start();
        assert_eq!(way, Way::Copy);
        let (second, way) = downloads.start();
        assert_eq!(way, Way::SendFile);
        drop(first);
        // One still runs: the next one shares the cores with it.
        let (third, way) = downloads.start();
        assert_eq!(way, Way::SendFile);
        drop(second);
        drop(third);
        assert_eq!(downloads.start().1, Way::Copy);
    }

    #[test]
    fn more_cores_copy_more_downloads() {
        let downloads = Downloads::new(LocalDownloads::Auto, 8);
        let held: Vec<_> = (0..4).map(|_| downloads.start()).collect();
        assert!(held.iter().all(|(_, way)| *way == Way::Copy));
        assert_eq!(downloads.start().1, Way::SendFile);
        // A single core still copies a lone download.
        assert_eq!(Downloads::new(LocalDownloads::Auto, 1).start().1, Way::Copy);
    }

    #[test]
    fn fixed_settings_ignore_the_load() {
        let sendfile = Downloads::new(LocalDownloads::SendFile, 8);
        assert_eq!(sendfile.start().1, Way::SendFile);
        let copy = Downloads::new(LocalDownloads::Copy, 2);
        let _held: Vec<_> = (0..3).map(|_| copy.start()).collect();
        assert_eq!(copy.start().1, Way::Copy);
    }
}
