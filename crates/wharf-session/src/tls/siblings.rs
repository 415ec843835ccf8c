//! Sibling control sessions: the TLS control sessions of one user, from
//! one address, under one virtual host. A data connection of any of them
//! may resume the TLS session of any other.
//!
//! Clients that open several control connections at once and keep one TLS
//! session cache per host (rclone and the Go library it uses, among
//! others) resume whichever session the cache last stored, often a
//! sibling's, and often one that has just finished its handshake and not
//! yet logged in, or one the client has since closed (rclone closes idle
//! connections after a minute while others go on transferring). The reuse
//! rule exists so that only the party holding the control connection can
//! use its data connection; a sibling is that same party, and so is
//! whoever holds a ticket of a sibling that ended. So a data connection is
//! accepted when the session it resumed is
//! - its own control session's, or
//! - a sibling's (same address, same HOST, same user), logged in, or
//!   logged in when it ended, at most [`ENDED_KEPT`] ago (and among the
//!   last [`ENDED_MAX`] to end), or
//! - a live session from the same address that has not logged in yet: the
//!   verdict then waits (at most [`PENDING_WAIT`]) for that session to log
//!   in, and holds only if it logs in as a sibling.
//!
//! A stranger's session, another user's, or one that ended before it
//! logged in never counts.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::SessionToken;

/// How long a data connection that resumed a not yet logged-in session
/// waits for it to log in.
pub(crate) const PENDING_WAIT: Duration = Duration::from_secs(5);

/// How long a logged-in session that ended still counts as a sibling: the
/// life of the tickets it handed out (rustls's ticketer's, 12 hours).
pub(crate) const ENDED_KEPT: Duration = Duration::from_secs(12 * 60 * 60);

/// How many ended sessions are kept at most (each about 100 bytes, plus
/// its HOST and user names); past it, the oldest is forgotten first.
pub(crate) const ENDED_MAX: usize = 8192;

/// Who logged in: the HOST chosen and the user.
type Family = (Option<String>, String);

#[derive(Debug)]
struct Entry {
    ip: IpAddr,
    family: Option<Family>,
    /// When the control session ended; its family is then the one it had.
    ended: Option<Instant>,
}

/// Whether a data connection of one session may resume another's TLS
/// session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Its own session, or a sibling's.
    Accept,
    /// A session from the same address that has not logged in yet.
    Pending,
    /// Anyone else's.
    Refuse,
}

#[derive(Debug, Default)]
struct Sessions {
    entries: HashMap<SessionToken, Entry>,
    /// The ended entries, oldest first.
    ended: VecDeque<SessionToken>,
}

impl Sessions {
    /// Marks `token`'s session ended at `now`: kept if it was logged in,
    /// else forgotten; then forgets what is past [`ENDED_KEPT`] or
    /// [`ENDED_MAX`].
    fn end(&mut self, token: &SessionToken, now: Instant) {
        match self.entries.get_mut(token) {
            Some(entry) if entry.family.is_some() => {
                entry.ended = Some(now);
                self.ended.push_back(*token);
            }
            _ => {
                self.entries.remove(token);
            }
        }
        while let Some(oldest) = self.ended.front() {
            match self.entries.get(oldest).map(|entry| entry.ended) {
                Some(Some(at))
                    if now.saturating_duration_since(at) <= ENDED_KEPT
                        && self.ended.len() <= ENDED_MAX =>
                {
                    break;
                }
                Some(Some(_)) => {
                    self.entries.remove(oldest);
                }
                // Registered again under its token (live), or gone: only
                // the slot goes.
                _ => {}
            }
            self.ended.pop_front();
        }
    }
}

/// The TLS control sessions, live or recently ended, by token.
#[derive(Debug, Default)]
pub(crate) struct Siblings {
    sessions: Mutex<Sessions>,
    changed: Notify,
}

impl Siblings {
    /// Adds a control session starting its TLS handshake; it ends when the
    /// registration drops.
    pub(crate) fn register(self: &Arc<Self>, ip: IpAddr, token: SessionToken) -> Registration {
        let ip = ip.to_canonical();
        let entry = Entry {
            ip,
            family: None,
            ended: None,
        };
        self.lock().entries.insert(token, entry);
        Registration {
            siblings: self.clone(),
            token,
        }
    }

    /// The known token that `state` (a resumable session's state, stamped
    /// with its control session's token) carries, if any.
    pub(crate) fn find(&self, state: &[u8]) -> Option<SessionToken> {
        let sessions = self.lock();
        state.windows(16).find_map(|window| {
            let token: SessionToken = window.try_into().ok()?;
            sessions.entries.contains_key(&token).then_some(token)
        })
    }

    /// Whether a data connection of `own` may resume `resumed`'s session.
    pub(crate) fn judge(&self, own: &SessionToken, resumed: &SessionToken) -> Verdict {
        self.judge_at(own, resumed, Instant::now())
    }

    fn judge_at(&self, own: &SessionToken, resumed: &SessionToken, now: Instant) -> Verdict {
        if own == resumed {
            return Verdict::Accept;
        }
        let sessions = self.lock();
        let (Some(ours), Some(theirs)) = (sessions.entries.get(own), sessions.entries.get(resumed))
        else {
            return Verdict::Refuse;
        };
        let stale = theirs
            .ended
            .is_some_and(|at| now.saturating_duration_since(at) > ENDED_KEPT);
        if ours.ended.is_some() || stale || ours.ip != theirs.ip {
            return Verdict::Refuse;
        }
        match (&ours.family, &theirs.family) {
            (Some(a), Some(b)) if a == b => Verdict::Accept,
            (Some(_), None) => Verdict::Pending,
            _ => Verdict::Refuse,
        }
    }

    /// [`Siblings::judge`], waiting while it is pending, for at most
    /// `wait`; a verdict still pending then is a refusal.
    pub(crate) async fn settle(
        &self,
        own: &SessionToken,
        resumed: &SessionToken,
        wait: Duration,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let changed = self.changed.notified();
            match self.judge(own, resumed) {
                Verdict::Accept => return true,
                Verdict::Refuse => return false,
                Verdict::Pending => {
                    if tokio::time::timeout_at(deadline, changed).await.is_err() {
                        return false;
                    }
                }
            }
        }
    }

    fn set_family(&self, token: &SessionToken, family: Option<Family>) {
        if let Some(entry) = self.lock().entries.get_mut(token) {
            entry.family = family;
        }
        self.changed.notify_waiters();
    }

    fn lock(&self) -> MutexGuard<'_, Sessions> {
        // No change panics halfway through: a poisoned lock still holds
        // consistent data.
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One control session's entry, which ends on drop.
#[derive(Debug)]
pub(crate) struct Registration {
    siblings: Arc<Siblings>,
    token: SessionToken,
}

impl Registration {
    /// The token its control session stamps into its TLS session.
    pub(crate) fn token(&self) -> SessionToken {
        self.token
    }

    /// The session logged in as `user` under `host`.
    pub(crate) fn logged_in(&self, host: Option<String>, user: String) {
        self.siblings.set_family(&self.token, Some((host, user)));
    }

    /// The session logged out (REIN, a new USER).
    pub(crate) fn logged_out(&self) {
        self.siblings.set_family(&self.token, None);
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.siblings.lock().end(&self.token, Instant::now());
        self.siblings.changed.notify_waiters();
    }
}

#[cfg(test)]
#[path = "siblings_tests.rs"]
mod tests;
