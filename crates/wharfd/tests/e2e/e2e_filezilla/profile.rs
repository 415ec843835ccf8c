//! FileZilla's configuration, seeded before it starts so that no dialog
//! but the certificate's can stop the run, and so that it logs to a file.
//!
//! FileZilla reads `$XDG_CONFIG_HOME/filezilla/filezilla.xml` (falling back
//! to `$HOME/.config/filezilla`); a setting the file leaves out keeps its
//! default. The home directory is a fresh temporary one, so nothing of the
//! user running the tests is read or changed, and `trustedcerts.xml` does
//! not exist: the certificate is unknown and must be accepted in its dialog.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A private home directory with a seeded FileZilla configuration.
pub(super) struct Profile {
    home: tempfile::TempDir,
}

impl Profile {
    /// A fresh home directory with no FileZilla configuration yet.
    pub(super) fn new() -> Profile {
        let home = tempfile::Builder::new()
            .prefix("wharfd-filezilla-")
            .tempdir()
            .expect("create FileZilla's home directory");
        Profile { home }
    }

    /// Writes `filezilla.xml` for FileZilla `version` (as `--version`
    /// printed it, e.g. `3.63.0`).
    pub(super) fn seed(&self, version: &str) {
        let log = self.log_path();
        let log = log.to_str().expect("temporary paths are UTF-8");
        assert!(
            !log.contains(['<', '>', '&']),
            "a log path XML would need to escape: {log}"
        );
        let dir = self.config_dir();
        fs::create_dir_all(&dir).expect("create FileZilla's configuration directory");
        fs::write(dir.join("filezilla.xml"), settings(version, log)).expect("write filezilla.xml");
    }

    /// The home directory (`HOME`).
    pub(super) fn home(&self) -> &Path {
        self.home.path()
    }

    /// Where FileZilla keeps its configuration.
    pub(super) fn config_dir(&self) -> PathBuf {
        self.home().join(".config/filezilla")
    }

    /// FileZilla's own log file: every status line, command and reply of
    /// every connection, and its trace messages.
    pub(super) fn log_path(&self) -> PathBuf {
        self.home().join("filezilla.log")
    }

    /// Where FileZilla's stdout and stderr go (GTK warnings, start-up errors).
    pub(super) fn output_path(&self) -> PathBuf {
        self.home().join("filezilla.out")
    }

    /// Gives `command` this profile and a predictable environment.
    pub(super) fn apply(&self, command: &mut Command) {
        command
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.home().join(".config"))
            .env("XDG_CACHE_HOME", self.home().join(".cache"))
            .env("XDG_DATA_HOME", self.home().join(".local/share"))
            // FileZilla resets its debug level to 0 at start-up unless
            // FZDEBUG=1: without it the seeded level has no effect.
            .env("FZDEBUG", "1")
            // English dialog titles, which the test finds windows by.
            .env("LANG", "C.UTF-8")
            .env("LC_ALL", "C.UTF-8")
            .env_remove("LANGUAGE")
            // No accessibility bus to wait for.
            .env("NO_AT_BRIDGE", "1")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("ftp_proxy")
            .env_remove("FTP_PROXY")
            .env_remove("all_proxy")
            .env_remove("ALL_PROXY");
    }
}

/// The seeded `filezilla.xml`.
///
/// - `Greeting version`: the version whose welcome dialog was seen; set to
///   the running version, FileZilla does not show it.
/// - `Prompt password save` 0: no "remember passwords?" question.
/// - `Update Check` 0: builds with the updater would otherwise offer to
///   check for updates (Debian's is built without it: the settings it
///   saves hold no such key).
/// - `Logging file`, `Logging Debug Level` 3 (verbose: TLS handshakes and
///   the engine's steps) and `Logging Raw Listing` 1 (the MLSD lines as
///   received): the client's own log for the test's checks and failures.
fn settings(version: &str, log: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<FileZilla3 version="{version}" platform="*nix">
	<Settings>
		<Setting name="Greeting version">{version}</Setting>
		<Setting name="Prompt password save">0</Setting>
		<Setting name="Update Check">0</Setting>
		<Setting name="Logging file" platform="unix">{log}</Setting>
		<Setting name="Logging Debug Level">3</Setting>
		<Setting name="Logging Raw Listing">1</Setting>
	</Settings>
</FileZilla3>
"#
    )
}
