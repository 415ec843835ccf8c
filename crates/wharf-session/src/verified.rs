//! Passwords already verified, so that a user who logs in again with the
//! same password skips argon2.
//!
//! argon2 is slow on purpose (tens of milliseconds of CPU per check), which
//! is what makes a stolen users file hard to crack, but a client that logs
//! in hundreds of times a minute (a backup job, a monitoring probe) would
//! spend most of the server's CPU on it. After a successful check the list
//! keeps a keyed BLAKE2b tag of (user, stored hash, password) under a key
//! drawn at random when the list is made; a later login whose tag matches,
//! compared in constant time, is accepted without argon2. A wrong password
//! never matches and still pays argon2 (and the failed-login delay), so
//! guessing online stays as slow as before; the tags never leave memory,
//! and change of the stored hash invalidates them.

use std::collections::HashMap;
use std::sync::Mutex;

use blake2::Blake2bMac;
use blake2::digest::consts::U32;
use blake2::digest::{KeyInit, Mac};
use password_hash::rand_core::{OsRng, RngCore};

type Tag = Blake2bMac<U32>;

/// Tags of verified (user, hash, password) triples.
pub(crate) struct Verified {
    key: [u8; 32],
    tags: Mutex<HashMap<String, [u8; 32]>>,
}

impl Default for Verified {
    fn default() -> Self {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        Self {
            key,
            tags: Mutex::new(HashMap::new()),
        }
    }
}

impl Verified {
    fn tag(&self, user: &str, hash: &str, password: &[u8]) -> Tag {
        let mut tag = <Tag as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("32 bytes is a valid BLAKE2b key"));
        // Lengths first, so no two triples feed the same bytes.
        for part in [user.as_bytes(), hash.as_bytes()] {
            tag.update(&(part.len() as u64).to_le_bytes());
            tag.update(part);
        }
        tag.update(password);
        tag
    }

    /// Whether this exact password was verified for `user` and `hash`.
    pub(crate) fn check(&self, user: &str, hash: &str, password: &[u8]) -> bool {
        let stored = self
            .tags
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(user)
            .copied();
        match stored {
            Some(stored) => self.tag(user, hash, password).verify_slice(&stored).is_ok(),
            None => false,
        }
    }

    /// Remembers a password argon2 has just accepted.
    pub(crate) fn remember(&self, user: &str, hash: &str, password: &[u8]) {
        let tag: [u8; 32] = self
            .tag(user, hash, password)
            .finalize()
            .into_bytes()
            .into();
        self.tags
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(user.to_owned(), tag);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_verified_password_for_the_same_hash_matches() {
        let verified = Verified::default();
        assert!(!verified.check("alice", "$h1", b"secret"));
        verified.remember("alice", "$h1", b"secret");
        assert!(verified.check("alice", "$h1", b"secret"));
        assert!(!verified.check("alice", "$h1", b"secreT"));
        assert!(!verified.check("alice", "$h2", b"secret"));
        assert!(!verified.check("bob", "$h1", b"secret"));
        // Another list (another process) has another key.
        let other = Verified::default();
        assert!(!other.check("alice", "$h1", b"secret"));
    }
}
