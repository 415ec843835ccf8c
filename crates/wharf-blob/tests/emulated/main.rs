//! wharf-blob's integration tests against Azurite, moto and fake-gcs-server, as one test
//! binary: compiled and linked once, with one emulator of each kind for
//! the whole run (`support::Emulator::shared`), and the slow checks (the
//! 10,000-entry listing) overlapping the rest instead of running alone at
//! the end of a binary of their own.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod azurite;
mod azurite_append;
mod azurite_errors;
mod azurite_objects;
mod azurite_sas;
mod azurite_wire;
mod conformance;
mod fake_gcs;
mod gcs_credentials;
mod hostile;
mod moto;
mod recorded_errors;
mod stored_md5;
mod upload_parts;
