//! `/readyz`'s storage check: can this node still reach what it serves?
//!
//! A balancer asks every second or two, from each of its processes, so the
//! check is shaped to cost the store little and never pile up:
//! - a result is reused for [`FRESH_FOR`], so any number of requests
//!   costs at most one probe per interval;
//! - at most one probe runs at a time; a request waits for it at most
//!   [`PROBE_TIMEOUT`], and a probe that takes longer (a silent store, a
//!   hung network mount) is reported as "did not answer" and left to
//!   finish, while later requests wait on that same probe rather than
//!   starting another.
//!
//! The probe looks up the root folder and one name inside it
//! ([`PROBE_NAME`]), which a blob store must answer with a request (its
//! root alone costs none); "not found" is an answer, and so ready. In an
//! account view (`azure://ACCOUNT`, `s3://`) that name would be a
//! container, and S3's bucket names are global: someone else's bucket of
//! that name answers 403, never "not found". There the probe lists the
//! root instead, one page of the account's containers, as the check at
//! start does ([`Reach::List`]). For a local root the directory at the
//! configured path must also still be the one opened at start: wharfd
//! serves an open handle, so a root that was removed or replaced serves
//! nothing useful until a restart.
//!
//! What is probed is what start opened for the main users: the store of
//! `--storage`, else the `--root` directory. Per-user roots, mounts and a
//! root a reload names later are not probed: one check per node, cheap
//! and the same on every node, is what a balancer needs.
//!
//! Passthrough (`--azure-passthrough`) has no fixed store, since each
//! login names its own account; there the check is left out and `/readyz`
//! means "listening and not draining".

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use wharf_vfs::{VPath, Vfs, VfsErrorKind, next_entry};

/// How long a probe's result answers `/readyz` before the next probe.
pub(crate) const FRESH_FOR: Duration = Duration::from_secs(2);

/// How long a request waits for the probe before answering 503.
pub(crate) const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The name looked up inside the root; a valid blob and file name, so
/// that a container or a local root answers it with a lookup.
const PROBE_NAME: &str = "wharf-readyz-probe";

/// `Ok`, or why storage is not ready (one line).
pub(crate) type Verdict = Result<(), String>;

/// How the probe asks the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reach {
    /// Look up [`PROBE_NAME`] in the root: a local root, a container.
    LookUp,
    /// Read the first page of the root's listing: an account view.
    List,
}

/// A local root: its path and the identity (device, inode) of the
/// directory opened at start.
#[derive(Clone)]
pub(crate) struct LocalRoot {
    path: PathBuf,
    identity: Option<(u64, u64)>,
}

impl LocalRoot {
    /// Remembers which directory `path` names now.
    pub(crate) fn new(path: PathBuf) -> Self {
        let identity = std::fs::metadata(&path).ok().map(|m| (m.dev(), m.ino()));
        Self { path, identity }
    }

    async fn check(&self) -> Verdict {
        let shown = self.path.display();
        let meta = tokio::fs::metadata(&self.path)
            .await
            .map_err(|e| format!("storage: the root {shown} cannot be read: {e}"))?;
        if !meta.is_dir() {
            return Err(format!("storage: the root {shown} is not a directory"));
        }
        if self
            .identity
            .is_some_and(|id| id != (meta.dev(), meta.ino()))
        {
            return Err(format!(
                "storage: the root {shown} was replaced since start (restart wharfd to serve it)"
            ));
        }
        Ok(())
    }
}

/// What the probe reaches, and its cached result.
pub(crate) struct StorageProbe {
    vfs: Arc<dyn Vfs>,
    reach: Reach,
    local: Option<LocalRoot>,
    state: Mutex<State>,
    /// [`FRESH_FOR`] and [`PROBE_TIMEOUT`], shorter in tests.
    fresh_for: Duration,
    timeout: Duration,
}

#[derive(Default)]
struct State {
    checked: Option<(Instant, Verdict)>,
    /// A probe that outlived a request's wait.
    running: Option<JoinHandle<Verdict>>,
}

impl StorageProbe {
    /// A probe of `vfs`, and of the directory `local` when it is a local
    /// root.
    pub(crate) fn new(vfs: Arc<dyn Vfs>, reach: Reach, local: Option<LocalRoot>) -> Self {
        Self {
            vfs,
            reach,
            local,
            state: Mutex::new(State::default()),
            fresh_for: FRESH_FOR,
            timeout: PROBE_TIMEOUT,
        }
    }

    /// The latest verdict, probing first when it is older than
    /// [`FRESH_FOR`].
    pub(crate) async fn check(&self) -> Verdict {
        let mut state = self.state.lock().await;
        if let Some((at, verdict)) = &state.checked
            && at.elapsed() < self.fresh_for
        {
            return verdict.clone();
        }
        let mut probe = match state.running.take() {
            Some(running) => running,
            None => tokio::spawn(probe(self.vfs.clone(), self.reach, self.local.clone())),
        };
        let verdict = match tokio::time::timeout(self.timeout, &mut probe).await {
            Ok(Ok(verdict)) => verdict,
            Ok(Err(error)) => Err(format!("storage: the check failed: {error}")),
            Err(_) => {
                state.running = Some(probe);
                Err(format!(
                    "storage: no answer within {} ms",
                    self.timeout.as_millis()
                ))
            }
        };
        let verdict = verdict.map_err(|reason| reason.replace(['\r', '\n'], " "));
        if let Err(reason) = &verdict {
            tracing::warn!(%reason, "not ready");
        }
        state.checked = Some((Instant::now(), verdict.clone()));
        verdict
    }
}

async fn probe(vfs: Arc<dyn Vfs>, reach: Reach, local: Option<LocalRoot>) -> Verdict {
    if let Some(root) = &local {
        root.check().await?;
    }
    let unreachable = |e: wharf_vfs::VfsError| {
        let reason = e.reason().map(|r| format!(": {r}")).unwrap_or_default();
        format!("storage: {e}{reason}")
    };
    let root = VPath::root();
    if reach == Reach::List {
        let mut entries = vfs.list(&root).await.map_err(unreachable)?;
        return match next_entry(&mut entries).await {
            Some(Err(e)) => Err(unreachable(e)),
            _ => Ok(()),
        };
    }
    vfs.metadata(&root).await.map_err(unreachable)?;
    let name = root.join(PROBE_NAME).map_err(|e| format!("storage: {e}"))?;
    match vfs.metadata(&name).await {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == VfsErrorKind::NotFound => Ok(()),
        Err(e) => Err(unreachable(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use wharf_vfs::{DirStream, FileReader, Metadata, Upload, VfsError, WriteMode, async_trait};

    /// A store that never answers, counting the lookups it was asked.
    #[derive(Default)]
    struct Silent(AtomicUsize);

    #[async_trait]
    impl Vfs for Silent {
        async fn metadata(&self, _: &VPath) -> Result<Metadata, VfsError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            std::future::pending().await
        }
        async fn list(&self, _: &VPath) -> Result<DirStream, VfsError> {
            Err(VfsErrorKind::Unsupported.into())
        }
        async fn open_read(&self, _: &VPath, _: u64) -> Result<FileReader, VfsError> {
            Err(VfsErrorKind::Unsupported.into())
        }
        async fn create(&self, _: &VPath, _: WriteMode) -> Result<Box<dyn Upload>, VfsError> {
            Err(VfsErrorKind::Unsupported.into())
        }
        async fn mkdir(&self, _: &VPath) -> Result<(), VfsError> {
            Err(VfsErrorKind::Unsupported.into())
        }
        async fn rmdir(&self, _: &VPath) -> Result<(), VfsError> {
            Err(VfsErrorKind::Unsupported.into())
        }
        async fn remove_file(&self, _: &VPath) -> Result<(), VfsError> {
            Err(VfsErrorKind::Unsupported.into())
        }
        async fn rename(&self, _: &VPath, _: &VPath) -> Result<(), VfsError> {
            Err(VfsErrorKind::Unsupported.into())
        }
    }

    #[tokio::test]
    async fn a_silent_store_times_out_with_one_probe_in_flight() {
        let silent = Arc::new(Silent::default());
        let mut probe = StorageProbe::new(silent.clone(), Reach::LookUp, None);
        probe.fresh_for = Duration::from_millis(50);
        probe.timeout = Duration::from_millis(100);
        let started = Instant::now();
        let (a, b) = tokio::join!(probe.check(), probe.check());
        assert!(started.elapsed() < Duration::from_secs(1));
        for verdict in [a, b] {
            let reason = verdict.unwrap_err();
            assert_eq!(reason, "storage: no answer within 100 ms");
        }
        // Past the cache, the next request waits on the same probe again
        // instead of starting a second one.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(probe.check().await.is_err());
        assert_eq!(silent.0.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_reachable_store_is_ready_and_a_removed_root_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir(&root).unwrap();
        let vfs: Arc<dyn Vfs> = Arc::new(wharf_fs::LocalFs::new(&root).unwrap());
        let probe = StorageProbe::new(
            vfs.clone(),
            Reach::LookUp,
            Some(LocalRoot::new(root.clone())),
        );
        assert_eq!(probe.check().await, Ok(()));
        std::fs::remove_dir(&root).unwrap();
        // Cached: the balancer's next checks cost nothing.
        assert_eq!(probe.check().await, Ok(()));
        let fresh = StorageProbe::new(vfs, Reach::LookUp, Some(LocalRoot::new(root.clone())));
        let reason = fresh.check().await.unwrap_err();
        assert!(reason.contains("cannot be read"), "{reason}");
        std::fs::create_dir(&root).unwrap();
        let replaced = StorageProbe::new(
            Arc::new(wharf_vfs::MemoryFs::new()),
            Reach::LookUp,
            Some(LocalRoot {
                path: root,
                identity: Some((0, 0)),
            }),
        );
        let reason = replaced.check().await.unwrap_err();
        assert!(reason.contains("replaced"), "{reason}");
    }
}
