//! Session counts at connect: in all, per address group, and of those not
//! logged in yet.
//!
//! A connection counts as "not logged in" from its accept until its first
//! successful login, then only in the normal counts (REIN or a new USER
//! does not move it back: it has shown a password once, and still holds
//! its place in the per-address count). The lower caps on
//! connections that have not logged in keep a flood of idle connections
//! (each may sit out the login timeout) from taking every place, so logged-in
//! users keep theirs and new logins still find room.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use super::group::address_group;
use crate::network::IpNetwork;

/// The `421` text for a group at its session cap, here or across a fleet.
pub(crate) const TOO_MANY_FROM_ADDRESS: &str = "Too many connections from your address.";

/// A connection, by its two ends (unique while it is open).
type ConnectionId = (SocketAddr, SocketAddr);

/// Sessions of one address group.
#[derive(Debug, Default, Clone, Copy)]
struct GroupCount {
    all: usize,
    unauthenticated: usize,
}

#[derive(Debug)]
struct Counts {
    /// The caps, changed by a reload.
    caps: Caps,
    total: usize,
    unauthenticated: usize,
    groups: HashMap<IpNetwork, GroupCount>,
    /// Connections not logged in yet.
    pending: HashSet<ConnectionId>,
}

/// The caps [`Limits`] holds sessions to (from `Options`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caps {
    pub(crate) total: usize,
    pub(crate) per_group: usize,
    pub(crate) unauthenticated: usize,
    pub(crate) unauthenticated_per_group: usize,
    /// IPv6 addresses are grouped by this prefix.
    pub(crate) ipv6_prefix: u8,
}

/// Counts sessions against their [`Caps`].
#[derive(Debug)]
pub(crate) struct Limits {
    /// Fixed at start: the running counts are kept by group.
    ipv6_prefix: u8,
    counts: Mutex<Counts>,
}

impl Limits {
    pub(crate) fn new(caps: Caps) -> Self {
        Self {
            ipv6_prefix: caps.ipv6_prefix,
            counts: Mutex::new(Counts {
                caps,
                total: 0,
                unauthenticated: 0,
                groups: HashMap::new(),
                pending: HashSet::new(),
            }),
        }
    }

    /// New caps for connections from now on (a reload); sessions over
    /// them stay. The IPv6 grouping does not change.
    pub(crate) fn set_caps(&self, caps: Caps) {
        self.lock().caps = caps;
    }

    fn lock(&self) -> MutexGuard<'_, Counts> {
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The address group `peer` counts in.
    pub(crate) fn group(&self, peer: SocketAddr) -> IpNetwork {
        address_group(peer.ip(), self.ipv6_prefix)
    }

    /// Takes a place for the connection from `peer` to `local`, not logged
    /// in yet, or says why there is none (the text of a `421`).
    pub(crate) fn admit(
        self: &Arc<Self>,
        peer: SocketAddr,
        local: SocketAddr,
    ) -> Result<Slot, &'static str> {
        let group = self.group(peer);
        let mut counts = self.lock();
        let caps = counts.caps;
        if counts.total >= caps.total {
            return Err("Too many connections, try again later.");
        }
        if counts.unauthenticated >= caps.unauthenticated {
            return Err("Too many connections waiting to log in, try again later.");
        }
        let mine = counts.groups.get(&group).copied().unwrap_or_default();
        if mine.all >= caps.per_group {
            return Err(TOO_MANY_FROM_ADDRESS);
        }
        if mine.unauthenticated >= caps.unauthenticated_per_group {
            return Err("Too many connections from your address waiting to log in.");
        }
        counts.total += 1;
        counts.unauthenticated += 1;
        let entry = counts.groups.entry(group).or_default();
        entry.all += 1;
        entry.unauthenticated += 1;
        counts.pending.insert((peer, local));
        Ok(Slot {
            limits: self.clone(),
            group,
            id: (peer, local),
        })
    }

    /// Sessions admitted now, and how many of them are not logged in.
    pub(crate) fn counts(&self) -> (usize, usize) {
        let counts = self.lock();
        (counts.total, counts.unauthenticated)
    }

    /// The connection from `peer` to `local` has logged in: it leaves the
    /// not-logged-in counts (once; later logins change nothing).
    pub(crate) fn logged_in(&self, peer: SocketAddr, local: SocketAddr) {
        let group = self.group(peer);
        let mut counts = self.lock();
        if counts.pending.remove(&(peer, local)) {
            counts.unauthenticated = counts.unauthenticated.saturating_sub(1);
            if let Some(entry) = counts.groups.get_mut(&group) {
                entry.unauthenticated = entry.unauthenticated.saturating_sub(1);
            }
        }
    }
}

/// A session's place in [`Limits`], given back on drop.
#[derive(Debug)]
pub(crate) struct Slot {
    limits: Arc<Limits>,
    group: IpNetwork,
    id: ConnectionId,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.limits.lock();
        let pending = counts.pending.remove(&self.id);
        counts.total = counts.total.saturating_sub(1);
        if pending {
            counts.unauthenticated = counts.unauthenticated.saturating_sub(1);
        }
        if let Some(entry) = counts.groups.get_mut(&self.group) {
            entry.all = entry.all.saturating_sub(1);
            if pending {
                entry.unauthenticated = entry.unauthenticated.saturating_sub(1);
            }
            if entry.all == 0 {
                counts.groups.remove(&self.group);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(total: usize, per_ip: usize, pre: usize, pre_per_ip: usize) -> Arc<Limits> {
        Arc::new(Limits::new(Caps {
            total,
            per_group: per_ip,
            unauthenticated: pre,
            unauthenticated_per_group: pre_per_ip,
            ipv6_prefix: 64,
        }))
    }

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    const LOCAL: &str = "[2001:db8:ffff::1]:21";

    #[test]
    fn ipv6_counts_per_prefix() {
        let limits = limits(100, 2, 100, 100);
        let a = limits.admit(addr("[2001:db8:0:1::1]:1000"), addr(LOCAL));
        let b = limits.admit(addr("[2001:db8:0:1:8000::9]:1000"), addr(LOCAL));
        assert!(a.is_ok() && b.is_ok());
        assert!(
            limits
                .admit(addr("[2001:db8:0:1::77]:1"), addr(LOCAL))
                .is_err()
        );
        let other = limits.admit(addr("[2001:db8:0:2::1]:1"), addr(LOCAL));
        assert!(other.is_ok());
        drop(a);
        assert!(
            limits
                .admit(addr("[2001:db8:0:1::77]:1"), addr(LOCAL))
                .is_ok()
        );
    }

    #[test]
    fn connections_not_logged_in_have_their_own_caps() {
        let limits = limits(100, 100, 3, 2);
        let local = addr("127.0.0.1:21");
        let a1 = limits.admit(addr("10.0.0.1:1"), local).unwrap();
        let _a2 = limits.admit(addr("10.0.0.1:2"), local).unwrap();
        assert!(
            limits.admit(addr("10.0.0.1:3"), local).is_err(),
            "per address"
        );
        let _b1 = limits.admit(addr("10.0.0.2:1"), local).unwrap();
        assert!(limits.admit(addr("10.0.0.3:1"), local).is_err(), "in all");
        limits.logged_in(addr("10.0.0.1:1"), local);
        limits.logged_in(addr("10.0.0.1:1"), local);
        let _a3 = limits.admit(addr("10.0.0.1:3"), local).unwrap();
        assert!(limits.admit(addr("10.0.0.3:1"), local).is_err());
        // A logged-in session leaving frees no place of the others.
        drop(a1);
        assert!(limits.admit(addr("10.0.0.3:1"), local).is_err());
        let counts = limits.lock();
        assert_eq!((counts.total, counts.unauthenticated), (3, 3));
    }
}
