//! [`Restartable`]: Azurite or moto as a store that a fault suite kills
//! (SIGKILL), freezes (SIGSTOP) and starts again. Each start takes a new
//! free port (a [`FaultRelay`](super::fault_relay::FaultRelay) in front
//! keeps wharfd's endpoint fixed).
//!
//! Azurite keeps its data on disk (`--location`), so what was stored
//! survives a restart. moto keeps everything in memory: after a restart
//! it has no buckets, and the suite makes its bucket again.

use std::path::PathBuf;
use std::process::Command;

use super::azurite::{Emulator, start_azurite, start_moto};

/// Which emulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Azurite,
    Moto,
}

/// An emulator that can be killed, frozen and restarted.
pub(crate) struct Restartable {
    pub(crate) kind: Kind,
    process: Option<Emulator>,
    /// Azurite's data, kept across restarts.
    data: tempfile::TempDir,
}

impl Restartable {
    pub(crate) fn start(kind: Kind) -> Self {
        let mut store = Self {
            kind,
            process: None,
            data: tempfile::tempdir().expect("test set-up"),
        };
        store.restart();
        store
    }

    /// Its current port.
    pub(crate) fn port(&self) -> u16 {
        self.process.as_ref().expect("running").port
    }

    /// Starts it (again) on a new port; returns the port.
    pub(crate) fn restart(&mut self) -> u16 {
        self.kill();
        let location = self.data.path().display().to_string();
        let process = match self.kind {
            Kind::Azurite => start_azurite(&["--location", &location]),
            Kind::Moto => start_moto(),
        };
        let port = process.port;
        self.process = Some(process);
        port
    }

    /// SIGKILL, and waits for the process to be gone.
    pub(crate) fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.child.kill();
            let _ = process.child.wait();
        }
    }

    /// SIGSTOP: the port still accepts (the kernel completes handshakes),
    /// nothing answers.
    pub(crate) fn freeze(&self) {
        self.signal("STOP");
    }

    /// SIGCONT.
    pub(crate) fn thaw(&self) {
        self.signal("CONT");
    }

    fn signal(&self, name: &str) {
        let pid = self
            .process
            .as_ref()
            .expect("running")
            .child
            .id()
            .to_string();
        let sent = Command::new("kill").args(["-s", name, &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -s {name} {pid}");
    }

    /// Where Azurite keeps its data.
    pub(crate) fn data_dir(&self) -> PathBuf {
        self.data.path().to_owned()
    }
}

impl Drop for Restartable {
    fn drop(&mut self) {
        // A frozen process must run again to die of anything but SIGKILL;
        // SIGKILL works on it as it is.
        self.kill();
    }
}
