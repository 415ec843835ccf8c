//! Entry points for the fuzz targets in `fuzz/` and the session proptest
//! (feature `fuzzing`, and the crate's own tests). Not an API: nothing here
//! is stable.
//!
//! - [`run_session`]: a scripted session through the real session engine
//!   over in-process pipes and a [`MemoryFs`](wharf_vfs::MemoryFs), its
//!   replies and the file tree checked against the protocol's promises
//!   (the [`session`] module docs list them);
//! - [`read_proxy_header`]: the PROXY header reader fed in chunks.

mod ports;
mod proxy_header;
mod script;
pub mod session;

pub use proxy_header::{ProxyRead, read_proxy_header};
pub use script::script_from_bytes;
pub use session::{Violation, run_session};

/// The lines every fuzzed session starts with: a login, so that most of a
/// script runs past it (the script may log out, REIN, or log in again).
pub const LOGIN: [&[u8]; 2] = [b"USER a", b"PASS s"];

/// [`run_session`] of the script `data` stands for, after [`LOGIN`].
pub fn run_script(data: &[u8]) -> Result<(), Violation> {
    let mut lines: Vec<Vec<u8>> = LOGIN.iter().map(|l| l.to_vec()).collect();
    lines.extend(script_from_bytes(data));
    run_session(&lines)
}

#[cfg(test)]
mod tests;
