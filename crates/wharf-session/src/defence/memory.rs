//! The built-in [`LoginGuard`]: counts and bans in this process's memory.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tracing::warn;

use super::guard::{Ban, BanPolicy, LoginGuard};
use super::strikes::Strikes;
use crate::network::IpNetwork;

/// Groups tracked at most by default: about 100 bytes each, so 10 MB.
const DEFAULT_MAX_GROUPS: usize = 100_000;

/// What is known of one address group.
type Record = Strikes<Instant>;

/// Failure counts and bans in memory, for one server (the default).
///
/// The table is bounded: past `max_groups` groups, stale records are
/// swept, then a group that is not banned is dropped for the new one, so
/// an attacker with many addresses costs memory only up to the bound.
#[derive(Debug)]
pub struct MemoryLoginGuard {
    policy: BanPolicy,
    max_groups: usize,
    records: Mutex<HashMap<IpNetwork, Record>>,
}

/// The longest window or ban the guard keeps: a policy asking for more
/// gets this, so that adding it to the current time cannot overflow.
const LONGEST: Duration = Duration::from_secs(10 * 365 * 86_400);

impl MemoryLoginGuard {
    /// A guard that bans by `policy` (windows and bans above ten years are
    /// taken as ten years).
    pub fn new(mut policy: BanPolicy) -> Self {
        policy.window = policy.window.min(LONGEST);
        policy.ban = policy.ban.min(LONGEST);
        policy.max_ban = policy.max_ban.min(LONGEST);
        Self {
            policy,
            max_groups: DEFAULT_MAX_GROUPS,
            records: Mutex::new(HashMap::new()),
        }
    }

    /// The same guard tracking at most `max_groups` groups (at least 1).
    pub fn with_max_groups(mut self, max_groups: usize) -> Self {
        self.max_groups = max_groups.max(1);
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpNetwork, Record>> {
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn banned_at(&self, group: IpNetwork, now: Instant) -> Option<Ban> {
        self.lock().get(&group).and_then(|record| record.ban(now))
    }

    pub(crate) fn failure_at(&self, group: IpNetwork, now: Instant) -> Option<Ban> {
        let policy = &self.policy;
        if policy.max_failures == 0 {
            return None;
        }
        let mut records = self.lock();
        if !records.contains_key(&group) && !self.make_room(&mut records, now) {
            warn!(%group, "failed-login table full of banned groups; not counted");
            return None;
        }
        let record = records.entry(group).or_insert(Record::clean(now));
        if let Some(ban) = record.ban(now) {
            return Some(ban);
        }
        let ban = record.fail(policy, now)?;
        warn!(%group, offence = ban.offence, secs = ban.remaining.as_secs(), "address banned after failed logins");
        Some(ban)
    }

    /// Frees a place for a new group; false if every group is banned.
    fn make_room(&self, records: &mut HashMap<IpNetwork, Record>, now: Instant) -> bool {
        if records.len() < self.max_groups {
            return true;
        }
        records.retain(|_, record| !record.stale(&self.policy, now));
        if records.len() < self.max_groups {
            return true;
        }
        let victim = records
            .iter()
            .filter(|(_, record)| record.ban(now).is_none())
            .min_by_key(|(_, record)| record.window_start)
            .map(|(group, _)| *group);
        match victim {
            Some(group) => {
                records.remove(&group);
                true
            }
            None => false,
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

impl Default for MemoryLoginGuard {
    fn default() -> Self {
        Self::new(BanPolicy::default())
    }
}

#[async_trait]
impl LoginGuard for MemoryLoginGuard {
    async fn is_banned(&self, group: IpNetwork) -> Option<Ban> {
        self.banned_at(group, Instant::now())
    }

    async fn record_failure(&self, group: IpNetwork) -> Option<Ban> {
        self.failure_at(group, Instant::now())
    }

    fn bans_active(&self) -> Option<usize> {
        let now = Instant::now();
        let records = self.lock();
        Some(
            records
                .values()
                .filter(|r| r.banned_until.is_some_and(|until| until > now))
                .count(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::defence::group::address_group;

    fn policy() -> BanPolicy {
        BanPolicy {
            max_failures: 3,
            window: Duration::from_secs(60),
            ban: Duration::from_secs(10),
            max_ban: Duration::from_secs(35),
        }
    }

    fn v6(ip: &str) -> IpNetwork {
        address_group(ip.parse().unwrap(), 64)
    }

    #[test]
    fn endless_bans_are_ten_years_and_never_overflow() {
        let guard = MemoryLoginGuard::new(BanPolicy {
            max_failures: 1,
            window: Duration::MAX,
            ban: Duration::MAX,
            max_ban: Duration::MAX,
        });
        let group = v6("2001:db8::1");
        let now = Instant::now();
        let ban = guard.failure_at(group, now).expect("banned");
        assert_eq!(ban.remaining, LONGEST);
        assert!(guard.banned_at(group, now + LONGEST / 2).is_some());
    }

    #[test]
    fn failures_in_the_window_ban_and_bans_double_up_to_the_max() {
        let guard = MemoryLoginGuard::new(policy());
        let group = v6("2001:db8::1");
        let t0 = Instant::now();
        assert_eq!(guard.failure_at(group, t0), None);
        assert_eq!(guard.failure_at(group, t0), None);
        let ban = guard.failure_at(group, t0).unwrap();
        assert_eq!((ban.remaining, ban.offence), (Duration::from_secs(10), 1));
        assert!(
            guard
                .banned_at(group, t0 + Duration::from_secs(9))
                .is_some()
        );
        assert!(
            guard
                .banned_at(group, t0 + Duration::from_secs(10))
                .is_none()
        );
        let mut t = t0 + Duration::from_secs(11);
        for (offence, secs) in [(2, 20), (3, 35), (4, 35)] {
            guard.failure_at(group, t);
            guard.failure_at(group, t);
            let ban = guard.failure_at(group, t).unwrap();
            assert_eq!((ban.offence, ban.remaining.as_secs()), (offence, secs));
            t += Duration::from_secs(secs + 1);
        }
        // A clean stretch of max_ban after the last ban: forgotten.
        t += Duration::from_secs(35);
        guard.failure_at(group, t);
        guard.failure_at(group, t);
        assert_eq!(guard.failure_at(group, t).unwrap().offence, 1);
    }

    #[test]
    fn failures_outside_the_window_do_not_add_up() {
        let guard = MemoryLoginGuard::new(policy());
        let group = v6("2001:db8::1");
        let t0 = Instant::now();
        guard.failure_at(group, t0);
        guard.failure_at(group, t0);
        assert_eq!(guard.failure_at(group, t0 + Duration::from_secs(61)), None);
    }

    #[test]
    fn one_ipv6_prefix_is_one_client() {
        let guard = MemoryLoginGuard::new(policy());
        let t0 = Instant::now();
        guard.failure_at(v6("2001:db8:0:7::1"), t0);
        guard.failure_at(v6("2001:db8:0:7:dead:beef::2"), t0);
        assert!(guard.failure_at(v6("2001:db8:0:7::ffff"), t0).is_some());
        assert!(guard.banned_at(v6("2001:db8:0:7::1234"), t0).is_some());
        assert!(guard.banned_at(v6("2001:db8:0:8::1"), t0).is_none());
    }

    #[test]
    fn the_table_is_bounded_and_keeps_bans() {
        let guard = MemoryLoginGuard::new(policy()).with_max_groups(2);
        let t0 = Instant::now();
        let banned = v6("2001:db8:1::1");
        for _ in 0..3 {
            guard.failure_at(banned, t0);
        }
        for i in 0..10u16 {
            guard.failure_at(v6(&format!("2001:db8:2:{i:x}::1")), t0);
        }
        assert!(guard.len() <= 2);
        assert!(guard.banned_at(banned, t0).is_some());
    }

    #[test]
    fn zero_failures_turns_bans_off() {
        let guard = MemoryLoginGuard::new(BanPolicy {
            max_failures: 0,
            ..policy()
        });
        let t0 = Instant::now();
        for _ in 0..100 {
            assert_eq!(guard.failure_at(v6("2001:db8::1"), t0), None);
        }
    }
}
