//! Login defence: who may connect and how fast anyone may guess.
//!
//! | file | holds |
//! |---|---|
//! | `group.rs` | address groups: IPv4 /32, IPv6 by prefix (default /64) |
//! | `limits.rs` | session counts at connect: in all, per group, not yet logged in |
//! | `guard.rs` | [`LoginGuard`]: failed logins per group and bans, shareable by a fleet |
//! | `strikes.rs` | the failed-login rule (window, doubling bans), on any clock |
//! | `memory.rs` | [`MemoryLoginGuard`], the built-in guard |
//! | `registry.rs` | [`SessionRegistry`]: live sessions per group kept outside the server (a fleet) |
//! | `gate.rs` | [`LoginGate`]: permits and a bounded queue, refusing at once past it |
//! | `hashing.rs` | [`HashingGate`]: a gate of one argon2 check per CPU; the dummy hash |

pub(crate) mod gate;
pub(crate) mod group;
pub(crate) mod guard;
#[cfg(feature = "users")]
pub(crate) mod hashing;
pub(crate) mod limits;
pub(crate) mod memory;
pub(crate) mod registry;
pub(crate) mod strikes;

use std::sync::Arc;

pub use gate::LoginGate;
pub use group::{DEFAULT_IPV6_PREFIX, address_group};
pub use guard::{Ban, BanPolicy, LoginGuard};
#[cfg(feature = "users")]
pub use hashing::HashingGate;
pub use memory::MemoryLoginGuard;
pub use registry::{Admission, SessionRegistry};

use limits::Limits;

/// What the sessions of a server share for their defence.
pub(crate) struct Defence {
    /// Session counts.
    pub(crate) limits: Arc<Limits>,
    /// Failed-login counts and bans.
    pub(crate) guard: Arc<dyn LoginGuard>,
    /// Live sessions per group across a fleet, if shared.
    pub(crate) registry: Option<Arc<dyn SessionRegistry>>,
}
