//! The signals wharfd answers, all of them always:
//!
//! | signal | meaning |
//! |---|---|
//! | SIGHUP | reload ([`Reload`]), then reopen log files; systemd's `ExecReload` sends it |
//! | SIGUSR1 | reopen log files (logrotate's `postrotate`) |
//! | SIGTERM, SIGINT | graceful shutdown: stop accepting, let transfers finish, close sessions |
//!
//! Whatever wharfd serves (plain, a self-signed or a file certificate),
//! SIGHUP and SIGUSR1 never take their default action, which would end the
//! process without a drain or a flush of the usage counts.
//!
//! Other parts of wharfd learn of reloads and reopens through
//! [`tokio::sync::watch`] channels of a generation number
//! ([`Signals::reloads`], [`Signals::reopens`]): a subscriber calls
//! `changed().await` in a loop and acts once per change. A watch channel
//! rather than a broadcast one because the events are idempotent: two
//! SIGUSR1 in quick succession need one reopen, and a slow subscriber
//! never sees a `Lagged` error.

use std::io;

use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::watch;

use super::notify;
use super::reload::Reload;

/// The installed handlers and the channels their events go out on.
pub(crate) struct Signals {
    hangup: Signal,
    user1: Signal,
    terminate: Signal,
    interrupt: Signal,
    reloads: watch::Sender<u64>,
    reopens: watch::Sender<u64>,
}

impl Signals {
    /// Installs the handlers of SIGHUP, SIGUSR1, SIGTERM and SIGINT. Needs
    /// a tokio runtime.
    pub(crate) fn install() -> io::Result<Self> {
        Ok(Self {
            hangup: signal(SignalKind::hangup())?,
            user1: signal(SignalKind::user_defined1())?,
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
            reloads: watch::Sender::new(0),
            reopens: watch::Sender::new(0),
        })
    }

    /// A receiver whose value (a count) changes after each finished
    /// reload, successful or not (a failed step keeps its old settings).
    pub(crate) fn reloads(&self) -> watch::Receiver<u64> {
        self.reloads.subscribe()
    }

    /// A receiver whose value (a count) changes each time log files should
    /// be reopened: at SIGUSR1, and after each reload, so that a logrotate
    /// configuration sending SIGHUP works as well.
    pub(crate) fn reopens(&self) -> watch::Receiver<u64> {
        self.reopens.subscribe()
    }

    /// Answers SIGHUP and SIGUSR1 until SIGTERM or SIGINT arrives, then
    /// sends systemd `STOPPING=1` and returns.
    pub(crate) async fn until_shutdown(mut self, reload: &Reload) {
        loop {
            tokio::select! {
                _ = self.hangup.recv() => {
                    notify::reloading();
                    let what = reload.apply().await;
                    tracing::info!(reloaded = %what, "SIGHUP: reload done");
                    self.reloads.send_modify(|count| *count += 1);
                    self.reopen("SIGHUP");
                    notify::ready();
                }
                _ = self.user1.recv() => self.reopen("SIGUSR1"),
                _ = self.terminate.recv() => {
                    tracing::info!("SIGTERM: graceful shutdown");
                    break;
                }
                _ = self.interrupt.recv() => {
                    tracing::info!("SIGINT: graceful shutdown");
                    break;
                }
            }
        }
        notify::stopping();
    }

    /// Tells the subscribers to reopen their log files, and logs it.
    fn reopen(&self, why: &str) {
        self.reopens.send_modify(|count| *count += 1);
        tracing::info!(
            subscribers = self.reopens.receiver_count(),
            "{why}: reopening log files"
        );
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Sends `signal` to this test process with kill(1).
    fn raise(signal: &str) {
        let pid = std::process::id().to_string();
        let status = std::process::Command::new("kill")
            .args(["-s", signal, &pid])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the next change of `rx` and returns its value.
    async fn next(rx: &mut watch::Receiver<u64>) -> u64 {
        tokio::time::timeout(Duration::from_secs(10), rx.changed())
            .await
            .expect("no change within 10 s")
            .unwrap();
        *rx.borrow_and_update()
    }

    /// Subscribers see one change per SIGUSR1 on `reopens`, and one per
    /// SIGHUP on `reloads` and on `reopens`. (SIGTERM is left out: it
    /// would reach the whole test process if the handler were missing.)
    #[tokio::test]
    async fn subscribers_see_reloads_and_reopens() {
        let signals = Signals::install().unwrap();
        let mut reloads = signals.reloads();
        let mut reopens = signals.reopens();
        let task = tokio::spawn(async move { signals.until_shutdown(&Reload::new(None)).await });

        raise("USR1");
        assert_eq!(next(&mut reopens).await, 1);
        assert!(!reloads.has_changed().unwrap());

        raise("HUP");
        assert_eq!(next(&mut reloads).await, 1);
        assert_eq!(next(&mut reopens).await, 2);
        task.abort();
    }
}
