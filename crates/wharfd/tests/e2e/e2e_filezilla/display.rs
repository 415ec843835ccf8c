//! A private X display (Xvfb) and the hands on it (xdotool, ImageMagick's
//! `import` for screenshots).
//!
//! Xvfb picks a free display number itself (`-displayfd 1` writes it to
//! stdout once it accepts connections), so tests and developers' own
//! displays never collide. There is no window manager: windows are focused
//! with `xdotool windowfocus` (XSetInputFocus), which needs none, and keys
//! and clicks go through XTest, so GTK sees them as real input.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::support::{self, Finished};

/// How long Xvfb may take to announce its display.
const XVFB_START: Duration = Duration::from_secs(20);
/// Longest a single xdotool or import run may take.
const TOOL_TIMEOUT: Duration = Duration::from_secs(15);

/// A running Xvfb, stopped when dropped.
pub(super) struct Display {
    xvfb: Child,
    /// `:N`.
    name: String,
}

impl Display {
    /// Starts Xvfb with one 1280x1024 screen, writing its stderr to
    /// `log`, and waits for its display number.
    pub(super) fn start(log: &Path) -> Display {
        support::require_tool("xdotool", "xdotool");
        let stderr = File::create(log).expect("create Xvfb's log");
        let mut xvfb = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1280x1024x24"])
            .args(["-nolisten", "tcp", "-noreset"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start Xvfb ({e}): install it (apt-get install -y xvfb); scripts/test does this")
            });
        let stdout = xvfb.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let number = rx
            .recv_timeout(XVFB_START)
            .ok()
            .and_then(|line| line.trim().parse::<u32>().ok());
        let Some(number) = number else {
            let _ = xvfb.kill();
            let _ = xvfb.wait();
            panic!(
                "Xvfb announced no display within {XVFB_START:?}\n--- Xvfb log ---\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        };
        Display {
            xvfb,
            name: format!(":{number}"),
        }
    }

    /// The display name for `DISPLAY` (`:N`).
    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// Runs `xdotool args` on this display.
    fn xdotool(&self, args: &[&str]) -> Finished {
        support::run(
            Command::new("xdotool")
                .args(args)
                .env("DISPLAY", &self.name),
            TOOL_TIMEOUT,
        )
    }

    /// Runs `xdotool args` and panics unless it succeeds.
    fn xdotool_ok(&self, args: &[&str]) {
        let finished = self.xdotool(args);
        assert!(
            finished.status.success(),
            "xdotool {args:?} failed\n{}",
            finished.report()
        );
    }

    /// The first visible window whose name matches the regular expression
    /// `name`, if there is one.
    pub(super) fn find_window(&self, name: &str) -> Option<String> {
        let finished = self.xdotool(&["search", "--onlyvisible", "--name", name]);
        finished
            .stdout_text()
            .lines()
            .map(str::trim)
            .find(|id| !id.is_empty())
            .map(str::to_owned)
    }

    /// Waits at most `timeout` for a visible window whose name matches
    /// `name`.
    pub(super) fn wait_for_window(&self, name: &str, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(id) = self.find_window(name) {
                return Some(id);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Gives `window` the keyboard focus and waits until it has it.
    pub(super) fn focus(&self, window: &str) {
        self.xdotool_ok(&["windowfocus", "--sync", window]);
    }

    /// Presses and releases `key` (an X keysym name such as `Return`) in
    /// the focused window.
    pub(super) fn key(&self, key: &str) {
        self.xdotool_ok(&["key", key]);
    }

    /// Types `text` into the focused window, key by key.
    pub(super) fn type_text(&self, text: &str) {
        self.xdotool_ok(&["type", "--delay", "40", text]);
    }

    /// Clicks the left button at a point of `window` given as fractions of
    /// its width and height, so the point stays inside a pane whatever the
    /// window's size.
    pub(super) fn click_at(&self, window: &str, x: f64, y: f64) {
        let geometry = self.xdotool(&["getwindowgeometry", "--shell", window]);
        let value = |key: &str| -> f64 {
            geometry
                .stdout_text()
                .lines()
                .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or_else(|| panic!("no {key} in xdotool's geometry\n{}", geometry.report()))
        };
        let (width, height) = (value("WIDTH"), value("HEIGHT"));
        let to_pixel = |fraction: f64, size: f64| format!("{:.0}", fraction * size);
        self.xdotool_ok(&[
            "mousemove",
            "--window",
            window,
            &to_pixel(x, width),
            &to_pixel(y, height),
            "click",
            "1",
        ]);
    }

    /// Every visible window's id and name, for failure reports.
    pub(super) fn windows(&self) -> String {
        let ids = self.xdotool(&["search", "--onlyvisible", "--name", "."]);
        ids.stdout_text()
            .lines()
            .map(|id| {
                let name = self.xdotool(&["getwindowname", id.trim()]);
                format!("{id}: {}", name.stdout_text().trim())
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Saves the whole screen (every window on it) as a PNG at `path`.
    pub(super) fn screenshot(&self, path: &Path) -> Result<(), String> {
        let finished = support::run(
            Command::new("import")
                .args(["-display", &self.name, "-window", "root"])
                .arg(path),
            TOOL_TIMEOUT,
        );
        if finished.status.success() {
            Ok(())
        } else {
            Err(finished.report())
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        // SIGTERM first: Xvfb then removes its lock file and socket.
        let pid = self.xvfb.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.xvfb.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
    }
}
