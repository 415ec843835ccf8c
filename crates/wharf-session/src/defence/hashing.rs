//! The gate in front of argon2, and the dummy hash that unknown users are
//! checked against.
//!
//! Each argon2 verification takes tens of milliseconds of CPU and 19 MiB
//! (default parameters), so at most one per CPU runs at a time, behind a
//! [`LoginGate`] whose bounded queue refuses a flood at once.

use std::sync::OnceLock;

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};
use password_hash::SaltString;
use password_hash::rand_core::{OsRng, RngCore};
use tokio::sync::OwnedSemaphorePermit;

use super::gate::LoginGate;
use crate::auth::AuthError;

/// Waiting logins allowed per permit by default. With argon2 at 20–50 ms a
/// check, a full queue is served within about a second.
const DEFAULT_QUEUE_PER_PERMIT: usize = 32;

/// The shortest default queue, so that a small machine still takes a burst
/// of clients logging in together (a script, a restart), at the cost of a
/// wait of one to three seconds on one CPU.
const DEFAULT_MIN_QUEUE: usize = 64;

/// Bounds concurrent argon2 verifications and the logins waiting for one
/// (a [`LoginGate`] sized for argon2). Clones share the bound: give one
/// gate to every [`UserList`] of a server (virtual hosts included) so that
/// the bound is the server's.
///
/// [`UserList`]: crate::UserList
#[derive(Clone, Debug)]
pub struct HashingGate(LoginGate);

impl HashingGate {
    /// `permits` verifications at once (at least 1), and at most `queue`
    /// logins waiting for one; further logins are refused at once.
    pub fn new(permits: usize, queue: usize) -> Self {
        Self(LoginGate::new(permits, queue))
    }

    /// One permit per CPU and a queue of `queue_per_cpu` logins per CPU.
    pub fn per_cpu(queue_per_cpu: usize) -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        Self::new(cpus, cpus.saturating_mul(queue_per_cpu))
    }

    /// The gate itself.
    pub fn gate(&self) -> &LoginGate {
        &self.0
    }

    /// A permit, after waiting in the queue if there is room in it.
    pub(crate) async fn enter(&self) -> Result<OwnedSemaphorePermit, AuthError> {
        self.0.enter().await
    }
}

impl Default for HashingGate {
    /// One permit per CPU; 32 waiting per CPU, at least 64.
    fn default() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let queue = cpus.saturating_mul(DEFAULT_QUEUE_PER_PERMIT);
        Self::new(cpus, queue.max(DEFAULT_MIN_QUEUE))
    }
}

/// A hash of a random password with the parameters of `template` (a PHC
/// string of the same list, so that checking it costs what checking a real
/// one does), or argon2's defaults.
fn make_dummy(template: Option<&str>) -> String {
    let mut password = [0u8; 32];
    OsRng.fill_bytes(&mut password);
    let salt = SaltString::generate(&mut OsRng);
    let hasher = template
        .and_then(|text| PasswordHash::new(text).ok())
        .and_then(|parsed| {
            let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
            let version = parsed
                .version
                .map_or(Ok(Version::default()), Version::try_from)
                .ok()?;
            let params = Params::try_from(&parsed).ok()?;
            Some(Argon2::new(algorithm, version, params))
        })
        .unwrap_or_default();
    hasher
        .hash_password(&password, &salt)
        .map(|hash| hash.to_string())
        // Only a parameter set argon2 cannot use fails; its own defaults
        // never do, and a malformed dummy simply never verifies.
        .or_else(|_| {
            Argon2::default()
                .hash_password(&password, &salt)
                .map(|h| h.to_string())
        })
        .unwrap_or_default()
}

/// The dummy hash of one user list, made on first use.
#[derive(Debug, Default)]
pub(crate) struct DummyHash {
    hash: OnceLock<String>,
}

impl DummyHash {
    /// The dummy hash (made now, with `template`'s parameters, if this is
    /// the first call). Blocking: call it where argon2 runs.
    pub(crate) fn get(&self, template: Option<&str>) -> &str {
        self.hash.get_or_init(|| make_dummy(template))
    }
}

/// Whether `password` matches the PHC string `hash`. Blocking (argon2).
pub(crate) fn verify(hash: &str, password: &[u8]) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password, &parsed).is_ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_has_the_parameters_of_the_template() {
        let params = Params::new(8 * 1024, 3, 1, None).unwrap();
        let template = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"pw", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        let dummy = DummyHash::default();
        let hash = dummy.get(Some(&template)).to_owned();
        assert!(hash.contains("m=8192,t=3,p=1"), "{hash}");
        assert_eq!(dummy.get(None), hash, "made once");
        assert!(!verify(&hash, b"pw"));
        assert!(DummyHash::default().get(None).starts_with("$argon2id$"));
    }
}
