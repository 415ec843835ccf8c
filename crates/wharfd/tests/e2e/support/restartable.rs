//! [`Restartable`]: a `wharfd` that a test kills with SIGKILL and starts
//! again on the same state. Each start is a fresh [`Server`] (its own
//! temporary base, as every test server has) made by the same recipe from
//! one directory that outlives them: the recipe points the served root (a
//! users file's `root`), a usage store or anything else that must survive
//! the crash into that directory, or at an emulator that outlives them too.

use std::path::Path;
use std::time::Duration;

use super::process::wait_for_exit;
use super::{Server, ServerBuilder};

/// What makes each start of the server: the builder for a server on the
/// state directory it is given.
type Recipe = Box<dyn Fn(&Path) -> ServerBuilder>;

/// A server that can be killed and started again on the same state.
pub(crate) struct Restartable {
    state: tempfile::TempDir,
    recipe: Recipe,
    server: Option<Server>,
    /// What the last killed server logged, for failure messages.
    last_log: String,
}

impl Restartable {
    /// Starts the first server from `recipe`, given a fresh state
    /// directory (empty; the recipe may write into it first).
    pub(crate) fn start(recipe: impl Fn(&Path) -> ServerBuilder + 'static) -> Self {
        let state = tempfile::Builder::new()
            .prefix("wharfd-state-")
            .tempdir()
            .expect("create a state directory");
        let mut restartable = Self {
            state,
            recipe: Box::new(recipe),
            server: None,
            last_log: String::new(),
        };
        restartable.restart();
        restartable
    }

    /// The directory that outlives every start.
    pub(crate) fn state(&self) -> &Path {
        self.state.path()
    }

    /// The running server.
    pub(crate) fn server(&self) -> &Server {
        self.server
            .as_ref()
            .expect("the server is running (restart it after a kill)")
    }

    /// The running server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.server().child.id()
    }

    /// Kills the server with SIGKILL (no shutdown, no flush: a crash) and
    /// waits, at most 10 s, for it to be gone.
    pub(crate) fn kill(&mut self) {
        let Some(mut server) = self.server.take() else {
            return;
        };
        // `Child::kill` is SIGKILL on Unix.
        let _ = server.child.kill();
        let gone = wait_for_exit(&mut server.child, Duration::from_secs(10));
        assert!(gone.is_some(), "wharfd survived SIGKILL");
        self.last_log = server.stop_and_log();
    }

    /// Starts a new server on the same state (killing a running one
    /// first).
    pub(crate) fn restart(&mut self) {
        self.kill();
        self.server = Some((self.recipe)(self.state.path()).start());
    }

    /// The tail of what the last killed server and the running one logged.
    pub(crate) fn logs(&self) -> String {
        let killed = tail(&self.last_log, 8 * 1024);
        let running = self.server.as_ref().map(Server::log_tail);
        format!(
            "--- killed wharfd (tail) ---\n{killed}\n--- running wharfd (tail) ---\n{}",
            running.unwrap_or_default()
        )
    }
}

/// The last `max` bytes of `text` (on a character boundary).
fn tail(text: &str, max: usize) -> &str {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}
