//! A bounded gate for login work: at most `permits` at once, at most
//! `queue` logins waiting for one, and past that an immediate refusal
//! ([`AuthError::Busy`], a `421` the client may retry). A flood then makes
//! other logins fail fast instead of waiting behind it, and holds no more
//! waiting sessions than the bound. The argon2 checks of a [`UserList`]
//! and wharfd's pass-through storage checks both stand behind one.
//!
//! [`UserList`]: crate::UserList

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::auth::AuthError;

/// Permits and a bounded queue; clones share both.
#[derive(Clone, Debug)]
pub struct LoginGate {
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    queue: usize,
}

impl LoginGate {
    /// `permits` at once (at least 1), and at most `queue` waiting.
    pub fn new(permits: usize, queue: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(permits.max(1))),
            waiting: Arc::new(AtomicUsize::new(0)),
            queue,
        }
    }

    /// A permit, after waiting in the queue if there is room in it;
    /// [`AuthError::Busy`] at once if there is none.
    pub async fn enter(&self) -> Result<OwnedSemaphorePermit, AuthError> {
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return Ok(permit);
        }
        let before = self.waiting.fetch_add(1, Ordering::AcqRel);
        // Given back on every way out, a session dropped mid-wait included.
        let _place = Place(&self.waiting);
        if before >= self.queue {
            return Err(AuthError::Busy);
        }
        self.permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| AuthError::Backend(e.to_string()))
    }

    /// Logins waiting for a permit now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }

    /// Permits free now.
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }
}

/// A place in the queue.
struct Place<'a>(&'a AtomicUsize);

impl Drop for Place<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn past_the_queue_logins_are_refused_at_once() {
        let gate = LoginGate::new(1, 1);
        let held = gate.enter().await.unwrap();
        let waiter = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.enter().await.map(drop) })
        };
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert_eq!(gate.enter().await.unwrap_err(), AuthError::Busy);
        assert!(!waiter.is_finished());
        drop(held);
        waiter.await.unwrap().unwrap();
        // The queue is free again, and so is the permit.
        assert!(gate.enter().await.is_ok());
        assert_eq!(gate.waiting(), 0);
    }
}
