//! systemd's notification protocol (`sd_notify(3)`), through the
//! `sd-notify` crate, for `Type=notify` units:
//!
//! - `READY=1` once every listener is bound and the banner printed;
//! - `RELOADING=1` with `MONOTONIC_USEC=` (systemd 253 and later match a
//!   reload by that timestamp) when a SIGHUP reload starts, and `READY=1`
//!   when it ends;
//! - `STOPPING=1` when the graceful shutdown begins;
//! - `WATCHDOG=1` every half of `WATCHDOG_USEC` when the unit sets
//!   `WatchdogSec=`.
//!
//! Without `NOTIFY_SOCKET` in the environment nothing is sent (the crate
//! returns at once), so wharfd started by hand or by another supervisor
//! behaves as before. A message that cannot be sent is logged and never
//! stops the server: systemd then times the start out, which says more
//! than a server that refuses to run.

use std::time::Duration;

use sd_notify::NotifyState;

/// `READY=1`.
pub(crate) fn ready() {
    send(&[NotifyState::Ready]);
}

/// `STOPPING=1`.
pub(crate) fn stopping() {
    send(&[NotifyState::Stopping]);
}

/// `RELOADING=1` and the monotonic clock's time.
pub(crate) fn reloading() {
    match NotifyState::monotonic_usec_now() {
        Ok(now) => send(&[NotifyState::Reloading, now]),
        Err(error) => {
            tracing::warn!(%error, "cannot read the monotonic clock for MONOTONIC_USEC");
            send(&[NotifyState::Reloading]);
        }
    }
}

/// The interval between watchdog pings for a watchdog timeout: half of
/// it, as `sd_watchdog_enabled(3)` recommends, so one late tick is not
/// yet a missed deadline.
fn ping_interval(timeout: Duration) -> Duration {
    (timeout / 2).max(Duration::from_millis(1))
}

/// When systemd enabled the watchdog (`WATCHDOG_USEC`, and `WATCHDOG_PID`
/// naming this process if set), pings it from a task of the serving
/// runtime: a runtime that stops scheduling tasks stops the pings, and
/// systemd restarts the service.
pub(crate) fn spawn_watchdog() {
    let Some(timeout) = sd_notify::watchdog_enabled() else {
        return;
    };
    let every = ping_interval(timeout);
    tracing::info!(?timeout, ?every, "systemd watchdog enabled");
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        // A stalled runtime resumes with one ping, not a burst of them.
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            send(&[NotifyState::Watchdog]);
        }
    });
}

fn send(states: &[NotifyState<'_>]) {
    if let Err(error) = sd_notify::notify(states) {
        let what: Vec<String> = states.iter().map(ToString::to_string).collect();
        tracing::warn!(%error, message = %what.join(" "), "cannot notify systemd");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pings_twice_per_timeout() {
        assert_eq!(
            ping_interval(Duration::from_secs(30)),
            Duration::from_secs(15)
        );
        assert_eq!(ping_interval(Duration::ZERO), Duration::from_millis(1));
    }
}
