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
//!   last [`ENDED_PER_ADDRESS`] of its address, and within [`ENDED_MAX`]
//!   in all), or
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
use super::ended_groups::{EndedGroups, Slot};
use crate::defence::address_group;
use crate::network::IpNetwork;

/// How long a data connection that resumed a not yet logged-in session
/// waits for it to log in.
pub(crate) const PENDING_WAIT: Duration = Duration::from_secs(5);

/// How long a logged-in session that ended still counts as a sibling: the
/// life of the tickets it handed out (rustls's ticketer's, 12 hours).
pub(crate) const ENDED_KEPT: Duration = Duration::from_secs(12 * 60 * 60);

/// How many ended sessions are kept at most (each about 200 bytes with
/// its places in the queues, plus its HOST and user names).
pub(crate) const ENDED_MAX: usize = 8192;

/// How many ended sessions are kept at most per client address (IPv6
/// addresses grouped by the server's `ipv6_prefix`, /64 by default, as for
/// its other per-address limits); past it, that address's oldest is
/// forgotten first. A tenant that logs in and out in a loop then pushes
/// out its own address's ended sessions, not other clients': a client
/// holds the tickets of sessions it closed recently, and 256 is far more
/// than a client keeps open at once. Past [`ENDED_MAX`] in all, the group
/// that holds the most loses its oldest first, so tenants that fill the
/// cap from many addresses push out each other's before a client's few.
pub(crate) const ENDED_PER_ADDRESS: usize = 256;

/// Who logged in: the HOST chosen and the user.
type Family = (Option<String>, String);

#[derive(Debug)]
struct Entry {
    ip: IpAddr,
    /// The address group its ended session counts in.
    group: IpNetwork,
    family: Option<Family>,
    /// When the control session ended, and the serial number of that end;
    /// its family is then the one it had.
    ended: Option<(Instant, u64)>,
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
    /// The ended entries, oldest first (with stale slots, at most as many
    /// again as [`ENDED_MAX`]).
    ended: VecDeque<Slot>,
    /// The ended entries of each address group, oldest first; a group's
    /// first slot is always current.
    by_address: EndedGroups,
    /// How many entries have ended.
    kept: usize,
    /// The serial number of the last end.
    serial: u64,
}

impl Sessions {
    /// Adds a live entry under `token`, replacing whatever was there.
    fn insert(&mut self, token: SessionToken, entry: Entry) {
        if let Some(old) = self.entries.insert(token, entry)
            && old.ended.is_some()
        {
            self.kept = self.kept.saturating_sub(1);
            self.prune(old.group);
        }
    }

    /// Marks `token`'s session ended at `now`: kept if it was logged in,
    /// else forgotten; then forgets what is past [`ENDED_KEPT`],
    /// [`ENDED_PER_ADDRESS`] or [`ENDED_MAX`].
    fn end(&mut self, token: &SessionToken, now: Instant) {
        self.serial += 1;
        let serial = self.serial;
        match self.entries.get_mut(token) {
            Some(entry) if entry.family.is_some() && entry.ended.is_none() => {
                entry.ended = Some((now, serial));
                let group = entry.group;
                self.kept += 1;
                self.ended.push_back((*token, serial));
                self.by_address.push_back(group, (*token, serial));
                self.keep_per_address(group);
                self.keep_at_most(ENDED_MAX);
            }
            Some(entry) if entry.ended.is_none() => {
                let group = entry.group;
                self.entries.remove(token);
                self.prune(group);
            }
            _ => {}
        }
        while let Some(&slot) = self.ended.front() {
            if let Some(at) = self.ended_at(&slot) {
                if now.saturating_duration_since(at) <= ENDED_KEPT {
                    break;
                }
                self.forget(&slot);
            }
            self.ended.pop_front();
        }
        if self.ended.len() > 2 * ENDED_MAX {
            let entries = &self.entries;
            self.ended.retain(|slot| ended_at(entries, slot).is_some());
        }
    }

    /// Forgets `group`'s oldest ended entries past [`ENDED_PER_ADDRESS`]
    /// slots. (The global queue's slots of those go stale.)
    fn keep_per_address(&mut self, group: IpNetwork) {
        while self.by_address.len(group) > ENDED_PER_ADDRESS {
            let Some(slot) = self.by_address.pop_front(group) else {
                return;
            };
            self.forget(&slot);
            self.prune(group);
        }
    }

    /// Forgets ended entries until at most `max` are kept, each time the
    /// oldest of the group that holds the most (the oldest such group
    /// first): many groups filling up the cap push out each other's
    /// entries before a group that holds a few.
    fn keep_at_most(&mut self, max: usize) {
        while self.kept > max {
            let Some(group) = self.by_address.fullest() else {
                return;
            };
            let Some(slot) = self.by_address.pop_front(group) else {
                return;
            };
            self.forget(&slot);
            self.prune(group);
        }
    }

    /// Removes the entry of `slot`, if the slot is current.
    fn forget(&mut self, slot: &Slot) {
        if self.ended_at(slot).is_none() {
            return;
        }
        if let Some(entry) = self.entries.remove(&slot.0) {
            self.kept = self.kept.saturating_sub(1);
            self.prune(entry.group);
        }
    }

    /// When the entry of `slot` ended, if the slot is current.
    fn ended_at(&self, slot: &Slot) -> Option<Instant> {
        ended_at(&self.entries, slot)
    }

    /// Drops `group`'s stale slots from its front, and the group once it
    /// has none left; gives back room a shrunk group no longer needs.
    fn prune(&mut self, group: IpNetwork) {
        let entries = &self.entries;
        self.by_address
            .prune(group, |slot| ended_at(entries, slot).is_none());
    }
}

/// When the entry of `slot` ended, if the slot is current (its entry is
/// there and ended with that serial number).
fn ended_at(entries: &HashMap<SessionToken, Entry>, (token, serial): &Slot) -> Option<Instant> {
    match entries.get(token)?.ended {
        Some((at, ended)) if ended == *serial => Some(at),
        _ => None,
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
    /// `ipv6_prefix` groups IPv6 addresses for [`ENDED_PER_ADDRESS`], as
    /// for the server's other per-address limits.
    pub(crate) fn register(
        self: &Arc<Self>,
        ip: IpAddr,
        ipv6_prefix: u8,
        token: SessionToken,
    ) -> Registration {
        let ip = ip.to_canonical();
        let entry = Entry {
            ip,
            group: address_group(ip, ipv6_prefix),
            family: None,
            ended: None,
        };
        self.lock().insert(token, entry);
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
            .is_some_and(|(at, _)| now.saturating_duration_since(at) > ENDED_KEPT);
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
