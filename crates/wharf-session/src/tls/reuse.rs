//! Binding a data connection's TLS session to its control connection.
//!
//! Each control session stamps a random token into its resumption data.
//! A data connection of that session is accepted with a config whose
//! session cache and ticketer only yield session state that carries the
//! token of a session `siblings` admits (its own, or a sibling's): any
//! other session (a stranger's, or another user's) cannot be resumed
//! there, so it gets a full handshake and fails the reuse check. This holds
//! for TLS 1.2 session IDs and tickets as for TLS 1.3 tickets. And a data
//! connection hands out new resumption state (tickets, a stored session)
//! only after it resumed an admitted session: a full handshake gets none,
//! since that state would carry the session's token.

use std::sync::{Arc, Mutex, PoisonError};

use rustls::server::{ProducesTickets, StoresServerSessions};

use super::SessionToken;
use super::siblings::{Siblings, Verdict};

/// One data connection's rule: which sessions it may resume, and the one
/// it did (read after the handshake, when the verdict was pending).
#[derive(Debug)]
pub(crate) struct Resumption {
    pub(crate) siblings: Arc<Siblings>,
    pub(crate) own: SessionToken,
    pub(crate) resumed: Mutex<Option<SessionToken>>,
}

impl Resumption {
    pub(crate) fn new(siblings: Arc<Siblings>, own: SessionToken) -> Self {
        Self {
            siblings,
            own,
            resumed: Mutex::new(None),
        }
    }

    /// Whether `state` may be resumed; remembers whose it was.
    fn admits(&self, state: &[u8]) -> bool {
        let Some(token) = self.siblings.find(state) else {
            return false;
        };
        if self.siblings.judge(&self.own, &token) == Verdict::Refuse {
            return false;
        }
        *self.resumed.lock().unwrap_or_else(PoisonError::into_inner) = Some(token);
        true
    }

    /// The token of the session the handshake resumed, if it went through
    /// this rule.
    pub(crate) fn resumed(&self) -> Option<SessionToken> {
        *self.resumed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether this connection may hand out state to resume later (a TLS
    /// 1.3 ticket, a TLS 1.2 ticket or session ID): only once it resumed a
    /// session it was admitted to. That state carries this control
    /// session's token, so a full handshake, which anyone who reaches the
    /// port can make, must never get it: it would let a stranger resume
    /// as the session on its next data connection.
    fn may_issue(&self) -> bool {
        self.resumed()
            .is_some_and(|token| self.siblings.judge(&self.own, &token) == Verdict::Accept)
    }
}

/// The shared session cache, seen through one data connection's rule.
#[derive(Debug)]
pub(crate) struct OwnSessions {
    pub(crate) inner: Arc<dyn StoresServerSessions>,
    pub(crate) rule: Arc<Resumption>,
}

impl StoresServerSessions for OwnSessions {
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        self.rule.may_issue() && self.inner.put(key, value)
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.inner.get(key).filter(|state| self.rule.admits(state))
    }

    /// Not consumed: every data connection of the session resumes the same
    /// control session.
    fn take(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.get(key)
    }

    fn can_cache(&self) -> bool {
        self.inner.can_cache()
    }
}

/// The shared ticketer, decrypting only the tickets the rule admits.
#[derive(Debug)]
pub(crate) struct OwnTickets {
    pub(crate) inner: Arc<dyn ProducesTickets>,
    pub(crate) rule: Arc<Resumption>,
}

impl ProducesTickets for OwnTickets {
    fn enabled(&self) -> bool {
        self.inner.enabled()
    }

    fn lifetime(&self) -> u32 {
        self.inner.lifetime()
    }

    fn encrypt(&self, plain: &[u8]) -> Option<Vec<u8>> {
        if !self.rule.may_issue() {
            return None;
        }
        self.inner.encrypt(plain)
    }

    fn decrypt(&self, cipher: &[u8]) -> Option<Vec<u8>> {
        self.inner
            .decrypt(cipher)
            .filter(|state| self.rule.admits(state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::defence::DEFAULT_IPV6_PREFIX;

    #[test]
    fn only_admitted_state_is_found() {
        let siblings = Arc::new(Siblings::default());
        let own = siblings.register("192.0.2.1".parse().unwrap(), DEFAULT_IPV6_PREFIX, [7; 16]);
        let bob = siblings.register("192.0.2.1".parse().unwrap(), DEFAULT_IPV6_PREFIX, [9; 16]);
        own.logged_in(None, "alice".into());
        bob.logged_in(None, "bob".into());
        let inner: Arc<dyn StoresServerSessions> = rustls::server::ServerSessionMemoryCache::new(8);
        let stamped = |token: [u8; 16]| {
            let mut state = b"prefix".to_vec();
            state.extend_from_slice(&token);
            state
        };
        inner.put(b"ours".to_vec(), stamped([7; 16]));
        inner.put(b"bobs".to_vec(), stamped([9; 16]));
        inner.put(b"unknown".to_vec(), stamped([1; 16]));
        let rule = Arc::new(Resumption::new(siblings, [7; 16]));
        let view = OwnSessions {
            inner,
            rule: rule.clone(),
        };
        assert_eq!(view.get(b"bobs"), None);
        assert_eq!(view.get(b"unknown"), None);
        assert_eq!(rule.resumed(), None);
        assert_eq!(view.get(b"ours"), Some(stamped([7; 16])));
        assert_eq!(
            view.take(b"ours"),
            Some(stamped([7; 16])),
            "take must not consume"
        );
        assert_eq!(rule.resumed(), Some([7; 16]));
    }
}
