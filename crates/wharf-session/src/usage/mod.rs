//! The usage ledger: every account's usage per period, its quota and its
//! rate limits, persisted to a pluggable [`UsageStore`] and shared by every
//! server that uses the same store (the words are defined in
//! [`QuotaHook`](crate::QuotaHook)'s module).
//!
//! Every data transfer (both directions, listings included) and every byte
//! of the control connection counts toward the login's account: its user
//! name (in the pass-through mode of `wharfd`, the storage account). Counts
//! live in memory; a background task adds each account's new bytes to the
//! store every [`UsageConfig::flush_interval`] and once more at graceful
//! shutdown, and reads back the total that every server has stored. A crash
//! loses at most one interval of counting.
//!
//! Several servers behind a load balancer share quotas by sharing a store:
//! [`UsageStore::add`] is a conditional read-modify-write, so no server's
//! increment is lost or overwritten. Between flushes each server enforces
//! the last stored total plus its own bytes, so an account using several
//! servers at once can pass its limit by what those servers move in one
//! interval.
//!
//! When an account reaches its limit, the transfer in progress stops at
//! the limit (`451` for a download, `552` for an upload, which is then not
//! stored) and new transfers are refused until the period resets;
//! listings, navigation and `SITE QUOTA` keep working.

mod account;
mod dir_store;
mod ledger;
mod period;
mod store;

pub use account::AccountUsage;
pub use dir_store::DirUsageStore;
pub use ledger::{UsageConfig, UsageLedger};
pub use period::{Period, Window};
pub use store::{UsageRecord, UsageStore, UsageStoreError};
