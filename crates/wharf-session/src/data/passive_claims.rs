//! How many passive listeners each client address holds.
//!
//! Without multiplexing every PASV/EPSV binds a port of the range until
//! its data connection arrives or it expires. A client address with many
//! sessions could otherwise hold every port and lock everyone else out of
//! passive mode; a cap per address keeps the range shared. Addresses are
//! grouped as the session limits and bans group them
//! ([`address_group`]: an IPv4 address, or an IPv6 prefix). A PASV at the cap waits a moment for a claim to be
//! released: a real client holds its listener only until its data
//! connection arrives (milliseconds), so a burst of sessions from one
//! office NAT gets through, while an address that hoards listeners until
//! they expire only delays its own sessions.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::defence::address_group;
use crate::network::IpNetwork;

/// The counts, shared by every session of a server.
#[derive(Debug, Clone)]
pub(crate) struct PassiveClaims {
    per_address: usize,
    ipv6_prefix: u8,
    held: Arc<Held>,
}

/// The counts, and a wake-up for claims waiting on a release.
#[derive(Debug, Default)]
struct Held {
    counts: Mutex<HashMap<IpNetwork, usize>>,
    released: Notify,
}

/// One listener held by `client`; released when dropped.
#[derive(Debug)]
pub(crate) struct PassiveClaim {
    client: IpNetwork,
    held: Arc<Held>,
}

impl PassiveClaims {
    /// At most `per_address` listeners per client address (IPv6: per
    /// `/ipv6_prefix`); `0` is no cap.
    pub(crate) fn new(per_address: usize, ipv6_prefix: u8) -> Self {
        Self {
            per_address,
            ipv6_prefix,
            held: Arc::default(),
        }
    }

    /// A claim for one more listener of `client`, waiting up to `wait`
    /// for one to be released; `None` if the address stays at the cap.
    pub(crate) async fn claim_within(
        &self,
        client: IpAddr,
        wait: Duration,
    ) -> Option<PassiveClaim> {
        let deadline = Instant::now() + wait;
        loop {
            let released = self.held.released.notified();
            if let Some(claim) = self.claim(client) {
                return Some(claim);
            }
            if tokio::time::timeout_at(deadline, released).await.is_err() {
                return None;
            }
        }
    }

    /// A claim for one more listener of `client`, or `None` at the cap.
    pub(crate) fn claim(&self, client: IpAddr) -> Option<PassiveClaim> {
        let client = address_group(client, self.ipv6_prefix);
        let mut held = self
            .held
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let count = held.entry(client).or_insert(0);
        if self.per_address != 0 && *count >= self.per_address {
            return None;
        }
        *count += 1;
        Some(PassiveClaim {
            client,
            held: self.held.clone(),
        })
    }

    /// Listeners held now, by every client.
    pub(crate) fn held(&self) -> usize {
        let held = self
            .held
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        held.values().sum()
    }

    /// The cap, for the refusal's text.
    pub(crate) fn per_address(&self) -> usize {
        self.per_address
    }
}

impl Drop for PassiveClaim {
    fn drop(&mut self) {
        let mut held = self
            .held
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = held.get_mut(&self.client) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                held.remove(&self.client);
            }
        }
        drop(held);
        self.held.released.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_holds_per_address_and_frees_on_drop() {
        let claims = PassiveClaims::new(2, 64);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let one = claims.claim(a).unwrap();
        let _two = claims.claim(mapped).unwrap();
        assert!(
            claims.claim(a).is_none(),
            "the mapped form is the same client"
        );
        assert!(claims.claim(b).is_some(), "another client is not affected");
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        let v6_neighbour: IpAddr = "2001:db8::ffff".parse().unwrap();
        let _v6 = claims.claim(v6).unwrap();
        let _v6_too = claims.claim(v6_neighbour).unwrap();
        assert!(
            claims.claim("2001:db8::42".parse().unwrap()).is_none(),
            "one /64 is one client"
        );
        drop(one);
        assert!(claims.claim(a).is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn a_claim_at_the_cap_waits_for_a_release() {
        let claims = PassiveClaims::new(1, 64);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let first = claims.claim(a).unwrap();
        let wait = Duration::from_secs(2);
        assert!(claims.claim_within(a, wait).await.is_none());
        let release = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            drop(first);
        });
        let started = Instant::now();
        assert!(claims.claim_within(a, wait).await.is_some());
        assert_eq!(started.elapsed(), Duration::from_millis(500));
        release.await.unwrap();
    }

    #[test]
    fn zero_is_no_cap() {
        let claims = PassiveClaims::new(0, 64);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let held: Vec<_> = (0..100).map(|_| claims.claim(a).unwrap()).collect();
        assert_eq!(held.len(), 100);
    }
}
