//! Test support shared by Wharf's tests and benches, so that they do not
//! keep near-copies of it. Unpublished, and a dependency of tests and
//! benches only, never of a library at run time.
//!
//! The data patterns the tests write and compare live in
//! `wharf_vfs::testing::pattern` (feature `testing`), next to the
//! conformance suite that needed them first.

pub mod azurite;
pub mod gcs;
pub mod sas;
mod tls;

pub use tls::{AcceptAnyCertificate, any_certificate_client};
