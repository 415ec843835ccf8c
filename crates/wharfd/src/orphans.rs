//! The sweep of upload temporary files a crash left in the local roots.
//!
//! Every live upload holds an `flock` on its temporary file (wharf-fs), so
//! the sweep never removes one that a running server, this one or another
//! on the same root, is writing, however long it has stalled. An unlocked
//! one is a crash's orphan once it is [`ORPHAN_AGE`] old: the age covers
//! the instant between a writer's create and its lock, and roots whose
//! locks other hosts do not see (NFS with `local_lock`/`nolock`), where a
//! live upload still touches its file at least once per 1 MiB chunk.
//!
//! The sweep runs at start and once more [`ORPHAN_AGE`] later, so the
//! orphans of a crash just before a restart (too young at start) go too,
//! without waiting for the next restart.

use std::time::Duration;

/// How old an unlocked temporary file must be to be removed.
const ORPHAN_AGE: Duration = Duration::from_secs(60);

/// Sweeps `roots` now, on the blocking pool, and again [`ORPHAN_AGE`]
/// later.
pub(crate) fn sweep_in_background(roots: Vec<wharf_fs::LocalFs>) {
    if roots.is_empty() {
        return;
    }
    tokio::spawn(async move {
        let roots = std::sync::Arc::new(roots);
        for pass in 0..2 {
            if pass > 0 {
                // Just past the age, so that start's young ones qualify.
                tokio::time::sleep(ORPHAN_AGE + Duration::from_secs(1)).await;
            }
            let roots = roots.clone();
            let _ = tokio::task::spawn_blocking(move || sweep(&roots)).await;
        }
    });
}

/// One pass over every root, logged.
fn sweep(roots: &[wharf_fs::LocalFs]) {
    let mut total = wharf_fs::Swept::default();
    for root in roots {
        let swept = root.sweep_orphaned_uploads(ORPHAN_AGE);
        total.removed += swept.removed;
        total.kept_young += swept.kept_young;
        total.kept_live += swept.kept_live;
        total.errors += swept.errors;
    }
    tracing::info!(
        removed = total.removed,
        kept_young = total.kept_young,
        kept_live = total.kept_live,
        errors = total.errors,
        "swept orphaned upload temporary files"
    );
}
