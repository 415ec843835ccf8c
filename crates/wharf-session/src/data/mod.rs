//! Data connections: setting them up (passive, active) and moving bytes.

pub(crate) mod active;
pub(crate) mod downloads;
pub(crate) mod listing;
pub(crate) mod meter;
pub(crate) mod multiplex;
pub(crate) mod outcome;
pub(crate) mod passive;
pub(crate) mod passive_claims;
pub(crate) mod pipeline;
pub(crate) mod plan;
pub(crate) mod pump;
#[cfg(target_os = "linux")]
pub(crate) mod sendfile;
pub(crate) mod socket;
pub(crate) mod transfer;
pub(crate) mod watchdog;
