//! The fault suite's two sizes: short (the default, what `.ci/run` runs)
//! and full (`WHARF_FAULTS=full`, the counts and sizes of docs/faults.md;
//! `scripts/faults --full`).

/// Whether `WHARF_FAULTS=full` asks for the full counts and sizes.
pub(crate) fn full() -> bool {
    std::env::var("WHARF_FAULTS").as_deref() == Ok("full")
}
