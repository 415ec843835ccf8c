//! Entra ID identities for Azure: where the OAuth tokens that sign
//! requests come from.
//!
//! object_store fetches and caches the tokens ([`entra`] only says which
//! of its providers to build); one provider serves a whole account
//! ([`provider`]), so object_store's reads and uploads and wharf-blob's
//! own REST calls carry the same token and ask for a new one together.

pub(crate) mod entra;
pub(crate) mod provider;
pub(crate) mod roles;

pub use entra::EntraIdentity;

#[cfg(test)]
mod tests;
