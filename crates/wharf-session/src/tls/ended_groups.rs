//! The ended sessions of each address group, oldest first, with an index
//! by size: past the global cap the fullest group loses its oldest entry,
//! and the index finds that group in O(log n) instead of looking at every
//! group under the siblings' lock each time a logged-in session ends.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap, VecDeque};

use super::SessionToken;
use crate::network::IpNetwork;

/// An ended entry's place in a queue: its token and the serial number of
/// its end. A slot whose entry has gone, or ended again since (its token
/// registered again), is stale.
pub(super) type Slot = (SessionToken, u64);

/// A group's place in the size index: how many slots it holds, then the
/// serial number of its first slot, reversed, so that among groups of one
/// size the one whose first slot is oldest sorts last. Each slot is in one
/// group and serial numbers are never reused, so a key names one group.
type SizeKey = (usize, Reverse<u64>);

/// The key of a queue, `None` for an empty one (which is not kept).
fn key_of(queue: &VecDeque<Slot>) -> Option<SizeKey> {
    queue
        .front()
        .map(|&(_, serial)| (queue.len(), Reverse(serial)))
}

/// Slot queues per address group; a group with no slot is not kept.
#[derive(Debug, Default)]
pub(super) struct EndedGroups {
    queues: HashMap<IpNetwork, VecDeque<Slot>>,
    by_size: BTreeMap<SizeKey, IpNetwork>,
}

impl EndedGroups {
    /// Appends `slot` to `group`'s queue.
    pub(super) fn push_back(&mut self, group: IpNetwork, slot: Slot) {
        self.change(group, |queue| queue.push_back(slot));
    }

    /// Takes the oldest slot of `group`.
    pub(super) fn pop_front(&mut self, group: IpNetwork) -> Option<Slot> {
        self.change(group, VecDeque::pop_front)
    }

    /// How many slots `group` holds (stale ones included).
    pub(super) fn len(&self, group: IpNetwork) -> usize {
        self.queues.get(&group).map_or(0, VecDeque::len)
    }

    /// The group that holds the most slots; among equals, the one whose
    /// first slot is oldest.
    pub(super) fn fullest(&self) -> Option<IpNetwork> {
        self.by_size.last_key_value().map(|(_, group)| *group)
    }

    /// Drops `group`'s slots from its front while `stale` says so (the
    /// group goes once it has none left), and gives back room a shrunk
    /// queue no longer needs.
    pub(super) fn prune(&mut self, group: IpNetwork, stale: impl Fn(&Slot) -> bool) {
        if !self.queues.contains_key(&group) {
            return;
        }
        self.change(group, |queue| {
            while queue.front().is_some_and(&stale) {
                queue.pop_front();
            }
            if queue.capacity() > 4 * queue.len().max(4) {
                queue.shrink_to(2 * queue.len());
            }
        });
    }

    /// Runs `f` on `group`'s queue and files the group again under its new
    /// size, or drops it once empty.
    fn change<R>(&mut self, group: IpNetwork, f: impl FnOnce(&mut VecDeque<Slot>) -> R) -> R {
        let queue = self.queues.entry(group).or_default();
        if let Some(key) = key_of(queue) {
            self.by_size.remove(&key);
        }
        let result = f(queue);
        match key_of(queue) {
            Some(key) => {
                self.by_size.insert(key, group);
            }
            None => {
                self.queues.remove(&group);
            }
        }
        result
    }

    /// How many groups hold slots.
    #[cfg(test)]
    pub(super) fn group_count(&self) -> usize {
        self.queues.len()
    }

    /// Every group's queue.
    #[cfg(test)]
    pub(super) fn queues(&self) -> impl Iterator<Item = &VecDeque<Slot>> {
        self.queues.values()
    }

    /// The index names each kept group once, under its current key.
    #[cfg(test)]
    pub(super) fn check_index(&self) {
        assert_eq!(self.by_size.len(), self.queues.len(), "one key per group");
        for (group, queue) in &self.queues {
            let key = key_of(queue).expect("no empty group is kept");
            assert_eq!(self.by_size.get(&key), Some(group), "filed under its key");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(n: u8) -> IpNetwork {
        crate::defence::address_group(std::net::IpAddr::from([10, 0, 0, n]), 64)
    }

    fn slot(serial: u64) -> Slot {
        ([0; 16], serial)
    }

    /// The fullest group by looking at every one, as a reference.
    fn fullest_by_scan(groups: &EndedGroups) -> Option<IpNetwork> {
        groups
            .queues
            .iter()
            .filter_map(|(group, queue)| Some((*group, queue.len(), queue.front()?.1)))
            .max_by_key(|&(_, len, first)| (len, Reverse(first)))
            .map(|(group, _, _)| group)
    }

    #[test]
    fn the_fullest_group_is_found_and_the_oldest_first_among_equals() {
        let mut groups = EndedGroups::default();
        assert_eq!(groups.fullest(), None);
        groups.push_back(group(1), slot(1));
        groups.push_back(group(2), slot(2));
        groups.push_back(group(2), slot(3));
        assert_eq!(groups.fullest(), Some(group(2)));
        groups.push_back(group(1), slot(4));
        assert_eq!(
            groups.fullest(),
            Some(group(1)),
            "same size: older first slot"
        );
        assert_eq!(groups.pop_front(group(1)), Some(slot(1)));
        assert_eq!(groups.fullest(), Some(group(2)));
        groups.check_index();
    }

    #[test]
    fn the_index_follows_every_change_and_empty_groups_go() {
        let mut groups = EndedGroups::default();
        let mut serial = 0;
        // A fixed pseudo-random walk of pushes, pops and prunes over 8 groups.
        let mut state = 0x2545_f491_u32;
        for _ in 0..5_000 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let g = group(u8::try_from(state % 8).unwrap());
            match (state >> 8) % 4 {
                0 | 1 => {
                    serial += 1;
                    groups.push_back(g, slot(serial));
                }
                2 => {
                    groups.pop_front(g);
                }
                _ => {
                    let below = serial.saturating_sub(20);
                    groups.prune(g, |&(_, s)| s < below);
                }
            }
            groups.check_index();
            assert_eq!(groups.fullest(), fullest_by_scan(&groups));
        }
        for n in 0..8 {
            groups.prune(group(n), |_| true);
        }
        assert_eq!(groups.group_count(), 0);
        assert_eq!(groups.fullest(), None);
        groups.check_index();
    }

    #[test]
    fn pruning_or_popping_an_unknown_group_changes_nothing() {
        let mut groups = EndedGroups::default();
        groups.push_back(group(1), slot(1));
        assert_eq!(groups.pop_front(group(2)), None);
        groups.prune(group(3), |_| true);
        assert_eq!(groups.group_count(), 1);
        assert_eq!(groups.len(group(1)), 1);
        groups.check_index();
    }
}
