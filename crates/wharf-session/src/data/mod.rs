//! Data connections: setting them up (passive, active) and moving bytes.
//!
//! Handlers prepare a plan (`plan.rs`) through `ports.rs`, the only way to
//! the network. A transfer (`transfer.rs`) opens its connection from the plan,
//! picks its sans-IO stages from TYPE and MODE (`pipeline/`), and runs the
//! pump of its direction (`pump/`), which owns the meter and the waits;
//! `sendfile.rs` is the zero-copy special case of a download and shares
//! the meter. Outcomes are typed (`outcome.rs`); replies are the session's.

pub(crate) mod active;
pub(crate) mod ascii_offsets;
pub(crate) mod digest;
pub(crate) mod downloads;
pub(crate) mod listing;
pub(crate) mod meter;
pub(crate) mod multiplex;
pub(crate) mod outcome;
pub(crate) mod passive;
pub(crate) mod passive_claims;
pub(crate) mod pipeline;
pub(crate) mod plan;
pub(crate) mod ports;
pub(crate) mod pump;
#[cfg(target_os = "linux")]
pub(crate) mod sendfile;
pub(crate) mod socket;
pub(crate) mod socket_ports;
#[cfg(target_os = "linux")]
pub(crate) mod splice;
pub(crate) mod transfer;
pub(crate) mod watchdog;
