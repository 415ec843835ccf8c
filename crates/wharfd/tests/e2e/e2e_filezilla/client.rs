//! The FileZilla process: its version, its start with a URL and a local
//! directory, its log, and its end.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::display::Display;
use super::profile::Profile;
use crate::support;

/// What `filezilla --version` printed, e.g. `FileZilla 3.63.0, compiled
/// on 2023-12-22`, and the version number in it (`3.63.0`).
pub(super) struct Version {
    pub(super) line: String,
    pub(super) number: String,
}

/// Runs `filezilla --version` on `display` with `profile`'s home (GTK
/// needs a display even for that; FileZilla exits with 255 after printing
/// it, so only the text counts) and panics unless it is FileZilla 3.x.
pub(super) fn version(display: &Display, profile: &Profile) -> Version {
    // Not `support::require_tool`: FileZilla without a display or with the
    // real HOME would read (and could write) the user's configuration.
    let on_path = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| dir.join("filezilla").is_file())
    });
    assert!(
        on_path,
        "`filezilla` is not installed; the end-to-end tests need it: install it \
         (apt-get install -y filezilla); scripts/test does this"
    );
    let mut command = Command::new("filezilla");
    command.arg("--version").env("DISPLAY", display.name());
    profile.apply(&mut command);
    let finished = support::run(&mut command, Duration::from_secs(30));
    let text = finished.stdout_text();
    let line = text
        .lines()
        .find(|line| line.starts_with("FileZilla "))
        .unwrap_or_else(|| {
            panic!(
                "`filezilla --version` printed no version\n{}",
                finished.report()
            )
        })
        .trim()
        .to_owned();
    let number = line
        .trim_start_matches("FileZilla ")
        .split([',', ' '])
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(
        number.starts_with("3.") && number.split('.').all(|part| part.parse::<u32>().is_ok()),
        "this test drives FileZilla 3.x, found {line:?}"
    );
    Version { line, number }
}

/// A running FileZilla, killed when dropped.
pub(super) struct FileZilla {
    child: Child,
    log: PathBuf,
    output: PathBuf,
}

impl FileZilla {
    /// Starts FileZilla on `display` with `profile`, its local pane in
    /// `local`, connecting at once to `url`.
    pub(super) fn start(
        display: &Display,
        profile: &Profile,
        local: &Path,
        url: &str,
    ) -> FileZilla {
        let output = profile.output_path();
        let out = File::create(&output).expect("create FileZilla's output file");
        let err = out.try_clone().expect("clone a file handle");
        let mut command = Command::new("filezilla");
        command
            .arg(format!("--local={}", local.display()))
            .arg(url)
            .env("DISPLAY", display.name())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        profile.apply(&mut command);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start filezilla: {e}"));
        FileZilla {
            child,
            log: profile.log_path(),
            output,
        }
    }

    /// FileZilla's log so far (empty before its first line).
    pub(super) fn log(&self) -> String {
        fs::read(&self.log)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// What FileZilla wrote on stdout and stderr so far.
    pub(super) fn output(&self) -> String {
        fs::read(&self.output)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// How FileZilla ended, if it has.
    pub(super) fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for FileZilla {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// One line of FileZilla's log file:
/// `2026-12-06 07:54:11 24360 2 Command: CWD /docs` is connection `2`,
/// kind `Command`, text `CWD /docs` (after the date, time and process id).
#[derive(Debug)]
pub(super) struct Entry<'a> {
    pub(super) connection: &'a str,
    pub(super) kind: &'a str,
    pub(super) text: &'a str,
}

/// The lines of FileZilla's log that have its usual layout.
pub(super) fn entries(log: &str) -> Vec<Entry<'_>> {
    log.lines()
        .filter_map(|line| {
            let mut fields = line.splitn(5, ' ');
            let (_date, _time, _pid) = (fields.next()?, fields.next()?, fields.next()?);
            let connection = fields.next()?;
            let (kind, text) = fields.next()?.split_once(": ")?;
            Some(Entry {
                connection,
                kind,
                text,
            })
        })
        .collect()
}

/// The reply FileZilla logged on `connection` right after it sent the
/// first command starting with `command` there, if it sent one.
pub(super) fn reply_to<'a>(
    entries: &[Entry<'a>],
    connection: &str,
    command: &str,
) -> Option<&'a str> {
    let mut on_connection = entries.iter().filter(|e| e.connection == connection);
    on_connection.find(|e| e.kind == "Command" && e.text.starts_with(command))?;
    on_connection.find(|e| e.kind == "Response").map(|e| e.text)
}
