//! [`SessionRegistry`]: a count of live sessions per address group kept
//! outside this server, so that a per-address limit holds across a fleet.
//! Asked once when a session starts and once when it ends, never per
//! command.

use async_trait::async_trait;

use crate::network::IpNetwork;

/// What a registry says to a new session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Admission {
    /// Counted: call [`SessionRegistry::close`] when it ends.
    Counted,
    /// The group holds its limit's sessions already: refuse it.
    Full,
    /// The registry could not count it (its store failed): let it in
    /// under this server's own limits, and do not close it.
    Uncounted,
}

/// Live sessions per address group, across every server that shares the
/// registry.
#[async_trait]
pub trait SessionRegistry: Send + Sync {
    /// Counts a new session from `group` unless `limit` sessions of the
    /// group are live already.
    async fn open(&self, group: IpNetwork, limit: usize) -> Admission;

    /// A session [`Admission::Counted`] by `open` has ended.
    async fn close(&self, group: IpNetwork);
}
