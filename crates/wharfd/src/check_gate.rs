//! The gate in front of pass-through login checks: a bounded number of
//! storage requests in flight, a bounded queue behind them, and one
//! deadline for a login's wait and check together. A login that finds the
//! queue full is refused at once (`AuthError::Busy`, a `421` the client
//! may retry) instead of waiting in an unbounded line.

use std::future::Future;
use std::time::Duration;

use tokio::time::{Instant, timeout};
use wharf_session::AuthError;
use wharf_session::defence::LoginGate;

/// Bounds the store checks: a [`LoginGate`] of `at_once` in flight and
/// `max_waiting` queued, and `deadline` for one login's wait and check
/// together.
pub(crate) struct CheckGate {
    gate: LoginGate,
    deadline: Duration,
}

impl CheckGate {
    pub(crate) fn new(at_once: usize, max_waiting: usize, deadline: Duration) -> Self {
        Self {
            gate: LoginGate::new(at_once, max_waiting),
            deadline,
        }
    }

    /// Runs `check` once a slot is free; refuses at once when the queue is
    /// full (`421`, not counted as a failed login), and with a back-end
    /// error when the deadline passes.
    pub(crate) async fn run<T>(
        &self,
        check: impl Future<Output = Result<T, AuthError>>,
    ) -> Result<T, AuthError> {
        let started = Instant::now();
        let _permit = timeout(self.deadline, self.gate.enter())
            .await
            .map_err(|_| AuthError::Busy)??;
        let left = self.deadline.saturating_sub(started.elapsed());
        match timeout(left, check).await {
            Ok(result) => result,
            Err(_) => Err(AuthError::Backend(
                "the storage service did not answer in time".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    async fn wait_for(what: impl Fn() -> bool) {
        let started = Instant::now();
        while !what() && started.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[tokio::test]
    async fn the_gate_bounds_checks_and_refuses_at_once_when_its_queue_is_full() {
        let gate = Arc::new(CheckGate::new(2, 3, Duration::from_secs(10)));
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let release = Arc::new(tokio::sync::Notify::new());
        let mut tasks = Vec::new();
        for _ in 0..5 {
            let (gate, running, most, release) =
                (gate.clone(), running.clone(), most.clone(), release.clone());
            tasks.push(tokio::spawn(async move {
                gate.run(async {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    release.notified().await;
                    running.fetch_sub(1, Ordering::SeqCst);
                    Ok(())
                })
                .await
            }));
        }
        wait_for(|| running.load(Ordering::SeqCst) == 2 && gate.gate.waiting() == 3).await;
        assert_eq!(running.load(Ordering::SeqCst), 2, "two checks run");
        assert_eq!(gate.gate.waiting(), 3, "three wait");
        // The queue is full: the next login is refused without waiting.
        let started = Instant::now();
        let refused = gate.run(async { Ok(()) }).await;
        assert!(matches!(refused, Err(AuthError::Busy)), "{refused:?}");
        assert!(started.elapsed() < Duration::from_millis(500));
        // Each release lets one more through, never more than two at once.
        for _ in 0..50 {
            release.notify_waiters();
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), Ok(()));
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
        assert_eq!(gate.gate.waiting(), 0);
    }

    #[tokio::test]
    async fn a_slow_store_gets_a_deadline() {
        let gate = CheckGate::new(1, 1, Duration::from_millis(100));
        let result = gate
            .run(async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Ok(())
            })
            .await;
        assert!(matches!(result, Err(AuthError::Backend(_))), "{result:?}");
    }
}
