//! Binding a data connection's TLS session to its control connection.
//!
//! Each control session stamps a random token into its resumption data.
//! A data connection of that session is accepted with a config whose
//! session cache and ticketer only yield session state that carries the
//! token: any other session (a stranger's, or another client's) cannot be
//! resumed there, so it gets a full handshake and fails the reuse check.
//! This holds for TLS 1.2 session IDs and tickets as for TLS 1.3 tickets;
//! rustls reports the resumption data itself only for TLS 1.3.

use std::sync::Arc;

use rustls::server::{ProducesTickets, StoresServerSessions};

use super::SessionToken;

fn carries(state: &[u8], token: &SessionToken) -> bool {
    state.windows(token.len()).any(|window| window == token)
}

/// The shared session cache, seen through one control session's token.
#[derive(Debug)]
pub(crate) struct OwnSessions {
    pub(crate) inner: Arc<dyn StoresServerSessions>,
    pub(crate) token: SessionToken,
}

impl StoresServerSessions for OwnSessions {
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        self.inner.put(key, value)
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.inner
            .get(key)
            .filter(|state| carries(state, &self.token))
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

/// The shared ticketer, decrypting only one control session's tickets.
#[derive(Debug)]
pub(crate) struct OwnTickets {
    pub(crate) inner: Arc<dyn ProducesTickets>,
    pub(crate) token: SessionToken,
}

impl ProducesTickets for OwnTickets {
    fn enabled(&self) -> bool {
        self.inner.enabled()
    }

    fn lifetime(&self) -> u32 {
        self.inner.lifetime()
    }

    fn encrypt(&self, plain: &[u8]) -> Option<Vec<u8>> {
        self.inner.encrypt(plain)
    }

    fn decrypt(&self, cipher: &[u8]) -> Option<Vec<u8>> {
        self.inner
            .decrypt(cipher)
            .filter(|state| carries(state, &self.token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_state_with_the_token_is_found() {
        let inner: Arc<dyn StoresServerSessions> = rustls::server::ServerSessionMemoryCache::new(8);
        let token = [7u8; 16];
        let mut ours = b"prefix".to_vec();
        ours.extend_from_slice(&token);
        inner.put(b"ours".to_vec(), ours.clone());
        inner.put(b"theirs".to_vec(), vec![7u8; 15]);
        let view = OwnSessions { inner, token };
        assert_eq!(view.get(b"ours"), Some(ours.clone()));
        assert_eq!(view.take(b"ours"), Some(ours), "take must not consume");
        assert_eq!(view.get(b"theirs"), None);
    }
}
