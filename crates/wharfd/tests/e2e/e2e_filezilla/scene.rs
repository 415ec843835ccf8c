//! Everything one FileZilla run needs, owned together, with bounded waits
//! and the failure report (screenshot, FileZilla's log, kept whole in the
//! artifacts directory, the windows on the screen; the `Server` adds
//! wharfd's log tail when it is dropped during the panic).

use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use super::client::{FileZilla, Version};
use super::display::Display;
use super::profile::Profile;
use crate::support::{PASSWORD, Server, USER};

/// How long one step (a dialog appearing, a listing, a transfer) may take:
/// generous for two loaded cores, and bounded.
pub(super) const PATIENCE: Duration = Duration::from_secs(40);

/// A server, a display and FileZilla connected from one to the other.
///
/// Fields drop in order: FileZilla before the display it draws on, the
/// display before the home directory that holds Xvfb's log.
pub(super) struct Scene {
    pub(super) filezilla: FileZilla,
    pub(super) display: Display,
    pub(super) profile: Profile,
    pub(super) version: Version,
    pub(super) local: tempfile::TempDir,
    pub(super) server: Server,
}

impl Scene {
    /// Starts Xvfb, checks FileZilla's version, seeds its configuration and
    /// starts it with its local pane in `local`, connecting to `server`
    /// with explicit FTPS as the test user.
    pub(super) fn start(server: Server, local: tempfile::TempDir) -> Scene {
        // No artifact of an earlier run may pass for this run's.
        let _ = fs::remove_file(Self::screenshot_path());
        let _ = fs::remove_file(Self::log_copy_path());
        let profile = Profile::new();
        let display = Display::start(&profile.home().join("xvfb.log"));
        let version = super::client::version(&display, &profile);
        profile.seed(&version.number);
        let url = format!("ftpes://{USER}:{PASSWORD}@{}", server.addr());
        let filezilla = FileZilla::start(&display, &profile, local.path(), &url);
        Scene {
            filezilla,
            display,
            profile,
            version,
            local,
            server,
        }
    }

    /// The local directory FileZilla's left pane shows.
    pub(super) fn local(&self) -> &Path {
        self.local.path()
    }

    /// Where the screenshot of the final screen goes.
    pub(super) fn screenshot_path() -> PathBuf {
        super::artifacts_dir().join("filezilla-final.png")
    }

    /// Where FileZilla's whole log is kept when the test fails.
    pub(super) fn log_copy_path() -> PathBuf {
        super::artifacts_dir().join("filezilla.log")
    }

    /// Waits at most [`PATIENCE`] for `done`; fails the test, saying it
    /// waited for `what`, when time runs out, FileZilla logs an error or
    /// exits.
    pub(super) fn wait_for(&mut self, what: &str, mut done: impl FnMut(&Scene) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if done(self) {
                return;
            }
            // FileZilla logs a failed step as `Error:` and goes on, maybe
            // retrying: the first one fails the test at once.
            if let Some(error) = self
                .filezilla
                .log()
                .lines()
                .find(|l| l.contains(" Error: "))
            {
                self.fail(&format!(
                    "FileZilla logged an error while the test waited for {what}: {error}"
                ));
            }
            if let Some(status) = self.filezilla.exited() {
                self.fail(&format!(
                    "FileZilla exited ({status}) while the test waited for {what}"
                ));
            }
            if Instant::now() >= deadline {
                self.fail(&format!("no {what} within {PATIENCE:?}"));
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until FileZilla's log holds `count` lines containing `text`.
    pub(super) fn wait_for_log(&mut self, what: &str, text: &str, count: usize) {
        self.wait_for(what, |scene| {
            scene
                .filezilla
                .log()
                .lines()
                .filter(|l| l.contains(text))
                .count()
                >= count
        });
    }

    /// Fails the test unless the file at `path` holds exactly `expected`.
    pub(super) fn assert_file(&self, what: &str, path: &Path, expected: &[u8]) {
        let actual = match fs::read(path) {
            Ok(actual) => actual,
            Err(e) => self.fail(&format!("{what}: cannot read {}: {e}", path.display())),
        };
        if actual != expected {
            let first_difference = expected
                .iter()
                .zip(&actual)
                .position(|(a, b)| a != b)
                .unwrap_or(expected.len().min(actual.len()));
            self.fail(&format!(
                "{what}: expected {} bytes, {} holds {}, the first difference at byte {first_difference}",
                expected.len(),
                path.display(),
                actual.len()
            ));
        }
    }

    /// Waits until FileZilla's log has not grown for a second (at most
    /// ten), so that the screen shows the state after the last step and
    /// not a pane halfway through its refresh.
    pub(super) fn settle(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut last = (self.filezilla.log().len(), Instant::now());
        while Instant::now() < deadline {
            thread::sleep(Duration::from_millis(100));
            let len = self.filezilla.log().len();
            if len != last.0 {
                last = (len, Instant::now());
            } else if last.1.elapsed() >= Duration::from_secs(1) {
                return;
            }
        }
    }

    /// The visible window whose name matches `name`, waiting for it.
    pub(super) fn window(&mut self, what: &str, name: &str) -> String {
        match self.display.wait_for_window(name, PATIENCE) {
            Some(id) => id,
            None => self.fail(&format!("no {what} (a window named /{name}/) appeared")),
        }
    }

    /// Fails the test with `why`, the screenshot and FileZilla's side of
    /// the story.
    pub(super) fn fail(&self, why: &str) -> ! {
        let path = Self::screenshot_path();
        let screenshot = match self.display.screenshot(&path) {
            Ok(()) => format!("screenshot: {}", path.display()),
            Err(report) => format!("no screenshot: {report}"),
        };
        // The profile is deleted with the test: its whole log is kept.
        let log_copy = Self::log_copy_path();
        let kept = match fs::copy(self.profile.log_path(), &log_copy) {
            Ok(_) => format!("whole log: {}", log_copy.display()),
            Err(e) => format!("log not kept: {e}"),
        };
        panic!(
            "{why}\nclient: {}\n{screenshot}\n--- visible windows ---\n{}\n\
             --- FileZilla log (tail; {kept}) ---\n{}\n--- FileZilla stdout/stderr ---\n{}",
            self.version.line,
            self.display.windows(),
            tail(&self.filezilla.log(), 16 * 1024),
            tail(&self.filezilla.output(), 4 * 1024),
        );
    }
}

/// The last `max` bytes of `text`, cut on a character boundary.
fn tail(text: &str, max: usize) -> &str {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}
