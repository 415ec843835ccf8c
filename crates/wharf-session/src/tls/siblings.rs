//! Sibling control sessions: the TLS control sessions of one user, from
//! one address, under one virtual host. A data connection of any of them
//! may resume the TLS session of any other.
//!
//! Clients that open several control connections at once and keep one TLS
//! session cache per host (rclone and the Go library it uses, among
//! others) resume whichever session the cache last stored, often a
//! sibling's, and often one that has just finished its handshake and not
//! yet logged in. The reuse rule exists so that only the party holding the
//! control connection can use its data connection; a sibling is that same
//! party. So a data connection is accepted when the session it resumed is
//! - its own control session's, or
//! - a live sibling's (same address, same HOST, same user, logged in), or
//! - a live session from the same address that has not logged in yet: the
//!   verdict then waits (at most [`PENDING_WAIT`]) for that session to log
//!   in, and holds only if it logs in as a sibling.
//!
//! A stranger's session, another user's, or one that ended never counts.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;

use super::SessionToken;

/// How long a data connection that resumed a not yet logged-in session
/// waits for it to log in.
pub(crate) const PENDING_WAIT: Duration = Duration::from_secs(5);

/// Who logged in: the HOST chosen and the user.
type Family = (Option<String>, String);

#[derive(Debug)]
struct Entry {
    ip: IpAddr,
    family: Option<Family>,
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

/// The live TLS control sessions, by token.
#[derive(Debug, Default)]
pub(crate) struct Siblings {
    entries: Mutex<HashMap<SessionToken, Entry>>,
    changed: Notify,
}

impl Siblings {
    /// Adds a control session starting its TLS handshake; it leaves when
    /// the registration drops.
    pub(crate) fn register(self: &Arc<Self>, ip: IpAddr, token: SessionToken) -> Registration {
        let ip = ip.to_canonical();
        self.lock().insert(token, Entry { ip, family: None });
        Registration {
            siblings: self.clone(),
            token,
        }
    }

    /// The registered token that `state` (a resumable session's state,
    /// stamped with its control session's token) carries, if any.
    pub(crate) fn find(&self, state: &[u8]) -> Option<SessionToken> {
        let entries = self.lock();
        state.windows(16).find_map(|window| {
            let token: SessionToken = window.try_into().ok()?;
            entries.contains_key(&token).then_some(token)
        })
    }

    /// Whether a data connection of `own` may resume `resumed`'s session.
    pub(crate) fn judge(&self, own: &SessionToken, resumed: &SessionToken) -> Verdict {
        if own == resumed {
            return Verdict::Accept;
        }
        let entries = self.lock();
        let (Some(ours), Some(theirs)) = (entries.get(own), entries.get(resumed)) else {
            return Verdict::Refuse;
        };
        if ours.ip != theirs.ip {
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
        if let Some(entry) = self.lock().get_mut(token) {
            entry.family = family;
        }
        self.changed.notify_waiters();
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<SessionToken, Entry>> {
        // Each change is one insert, update or removal: the map stays
        // consistent whatever a panicking holder did.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One control session's entry, removed on drop.
#[derive(Debug)]
pub(crate) struct Registration {
    siblings: Arc<Siblings>,
    token: SessionToken,
}

impl Registration {
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
        self.siblings.lock().remove(&self.token);
        self.siblings.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn verdicts() {
        let siblings = Arc::new(Siblings::default());
        let alice = siblings.register(ip("192.0.2.1"), [1; 16]);
        let twin = siblings.register(ip("::ffff:192.0.2.1"), [2; 16]);
        let bob = siblings.register(ip("192.0.2.1"), [3; 16]);
        let far = siblings.register(ip("192.0.2.2"), [4; 16]);
        let vhost = siblings.register(ip("192.0.2.1"), [5; 16]);
        for (r, host, user) in [
            (&alice, None, "alice"),
            (&twin, None, "alice"),
            (&bob, None, "bob"),
            (&far, None, "alice"),
            (&vhost, Some("other"), "alice"),
        ] {
            r.logged_in(host.map(str::to_owned), user.to_owned());
        }
        let judge = |resumed: u8| siblings.judge(&[1; 16], &[resumed; 16]);
        assert_eq!(judge(1), Verdict::Accept);
        assert_eq!(
            judge(2),
            Verdict::Accept,
            "an IPv4-mapped address is the same client"
        );
        assert_eq!(judge(3), Verdict::Refuse, "another user");
        assert_eq!(judge(4), Verdict::Refuse, "another address");
        assert_eq!(judge(5), Verdict::Refuse, "another virtual host");
        assert_eq!(judge(9), Verdict::Refuse, "no such session");
        twin.logged_out();
        assert_eq!(judge(2), Verdict::Pending);
        drop(twin);
        assert_eq!(judge(2), Verdict::Refuse, "a session that ended");
        // A session that is not logged in accepts only its own.
        alice.logged_out();
        assert_eq!(siblings.judge(&[1; 16], &[3; 16]), Verdict::Refuse);
        assert_eq!(judge(1), Verdict::Accept);
    }

    #[test]
    fn the_token_is_found_anywhere_in_the_state() {
        let siblings = Arc::new(Siblings::default());
        let _r = siblings.register(ip("192.0.2.1"), [7; 16]);
        let mut state = b"some session state".to_vec();
        state.extend_from_slice(&[7; 16]);
        state.extend_from_slice(b"more");
        assert_eq!(siblings.find(&state), Some([7; 16]));
        assert_eq!(siblings.find(&[8; 40]), None);
    }

    #[tokio::test]
    async fn a_pending_verdict_waits_for_the_login() {
        let siblings = Arc::new(Siblings::default());
        let own = siblings.register(ip("192.0.2.1"), [1; 16]);
        own.logged_in(None, "alice".into());
        let new = siblings.register(ip("192.0.2.1"), [2; 16]);
        let waiting = {
            let siblings = siblings.clone();
            tokio::spawn(async move {
                siblings
                    .settle(&[1; 16], &[2; 16], Duration::from_secs(10))
                    .await
            })
        };
        tokio::task::yield_now().await;
        new.logged_in(None, "alice".into());
        assert!(waiting.await.unwrap());
        // As another user: refused once it logs in.
        let other = siblings.register(ip("192.0.2.1"), [3; 16]);
        let waiting = {
            let siblings = siblings.clone();
            tokio::spawn(async move {
                siblings
                    .settle(&[1; 16], &[3; 16], Duration::from_secs(10))
                    .await
            })
        };
        tokio::task::yield_now().await;
        other.logged_in(None, "bob".into());
        assert!(!waiting.await.unwrap());
        // Never logging in: refused after the wait.
        let _silent = siblings.register(ip("192.0.2.1"), [4; 16]);
        assert!(
            !siblings
                .settle(&[1; 16], &[4; 16], Duration::from_millis(50))
                .await
        );
    }
}
