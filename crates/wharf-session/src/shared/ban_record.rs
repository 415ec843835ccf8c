//! One address group's failed logins and bans as the fleet stores them
//! (`bans/<group>.json`), and the list of bans in force every server
//! reads (`bans.json`). Times are Unix milliseconds: servers share them,
//! so they must agree on the wall clock (NTP), and a skew between two
//! servers lengthens or shortens a ban by that skew.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::defence::strikes::Strikes;

/// Bans the list keeps at most: the ones that end soonest make room.
/// About 60 bytes each, so the list every server reads stays under 1 MB.
pub(crate) const MAX_LISTED_BANS: usize = 10_000;

/// A group's record: the failed-login rule's state in Unix milliseconds.
pub(crate) type GroupRecord = Strikes<u64>;

/// One listed ban.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Listed {
    /// When it ends.
    pub(crate) until: u64,
    /// Which ban of the group it is.
    pub(crate) offence: u32,
}

/// The bans in force, by group (its text form, `192.0.2.7/32`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BanList {
    pub(crate) bans: BTreeMap<String, Listed>,
}

impl BanList {
    /// The list with `group`'s ban added and the ended ones removed; past
    /// [`MAX_LISTED_BANS`], those ending soonest are dropped.
    pub(crate) fn with(self, group: &str, ban: Listed, now: u64) -> Self {
        self.with_at_most(group, ban, now, MAX_LISTED_BANS)
    }

    fn with_at_most(mut self, group: &str, ban: Listed, now: u64, max: usize) -> Self {
        self.bans.retain(|_, listed| listed.until > now);
        let entry = self.bans.entry(group.to_owned()).or_insert(ban);
        if ban.until > entry.until {
            *entry = ban;
        }
        while self.bans.len() > max {
            let soonest = self
                .bans
                .iter()
                .min_by_key(|(_, listed)| listed.until)
                .map(|(group, _)| group.clone());
            match soonest {
                Some(group) => self.bans.remove(&group),
                None => break,
            };
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::defence::BanPolicy;
    use std::time::Duration;

    fn policy() -> BanPolicy {
        BanPolicy {
            max_failures: 3,
            window: Duration::from_secs(60),
            ban: Duration::from_secs(10),
            max_ban: Duration::from_secs(35),
        }
    }

    #[test]
    fn failures_in_the_window_ban_and_bans_double() {
        let mut record = GroupRecord::default();
        let t0 = 1_000_000;
        assert_eq!(record.fail(&policy(), t0), None);
        assert_eq!(record.fail(&policy(), t0 + 1), None);
        let ban = record.fail(&policy(), t0 + 2).expect("banned");
        assert_eq!((ban.remaining.as_secs(), ban.offence), (10, 1));
        assert!(record.ban(t0 + 9_000).is_some());
        assert_eq!(record.fail(&policy(), t0 + 9_000), None, "already banned");
        assert!(record.ban(t0 + 10_002).is_none());
        let t1 = t0 + 11_000;
        record.fail(&policy(), t1);
        record.fail(&policy(), t1);
        let ban = record.fail(&policy(), t1).expect("banned again");
        assert_eq!((ban.remaining.as_secs(), ban.offence), (20, 2));
        // Outside the window failures start over.
        let t2 = t1 + 100_000;
        record.fail(&policy(), t2);
        record.fail(&policy(), t2);
        assert_eq!(record.fail(&policy(), t2 + 60_000), None);
        // A clean stretch of max_ban after the last ban: forgotten.
        let t3 = t2 + 200_000;
        record.fail(&policy(), t3);
        record.fail(&policy(), t3);
        assert_eq!(record.fail(&policy(), t3).map(|b| b.offence), Some(1));
    }

    #[test]
    fn the_list_drops_ended_bans_and_stays_bounded() {
        let now = 1_000;
        let list = BanList::default()
            .with(
                "a",
                Listed {
                    until: 500,
                    offence: 1,
                },
                0,
            )
            .with(
                "b",
                Listed {
                    until: 2_000,
                    offence: 1,
                },
                now,
            );
        assert_eq!(list.bans.keys().collect::<Vec<_>>(), ["b"]);
        let longer = list.with(
            "b",
            Listed {
                until: 3_000,
                offence: 2,
            },
            now,
        );
        assert_eq!(longer.bans["b"].until, 3_000);
        let mut big = BanList::default();
        for i in 0..=10 {
            let ban = Listed {
                until: 2_000 + i,
                offence: 1,
            };
            big = big.with_at_most(&i.to_string(), ban, now, 10);
        }
        assert_eq!(big.bans.len(), 10);
        assert!(!big.bans.contains_key("0"), "the soonest to end made room");
    }
}
