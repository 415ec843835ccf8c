//! Storage operations and their errors, counted by back-end and operation:
//! [`Measured`] wraps a [`Vfs`] and passes every call through unchanged.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::SystemTime;

use async_trait::async_trait;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use tokio::io::AsyncWrite;
use wharf_vfs::{
    Capabilities, DirStream, FileReader, Metadata, OpenedFile, OpenedLocalFile, Upload, VPath, Vfs,
    VfsError, VfsErrorKind, WriteMode,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct Operation {
    /// `local`, `memory`, `azure` or `s3`.
    pub(super) backend: &'static str,
    pub(super) operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct Failure {
    pub(super) backend: &'static str,
    pub(super) operation: &'static str,
    /// The error's kind, in snake case (`not_found`, `transient`, ...).
    pub(super) kind: &'static str,
}

/// A back-end, for the retries.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct Backend {
    pub(super) backend: &'static str,
}

/// The families every [`Measured`] of a server shares.
#[derive(Clone, Debug, Default)]
pub(crate) struct StorageCounters {
    pub(super) operations: Family<Operation, Counter>,
    pub(super) errors: Family<Failure, Counter>,
    pub(super) retries: Family<Backend, Counter>,
}

impl StorageCounters {
    /// A hook for wharf-blob that counts its retries as `backend`'s.
    pub(crate) fn retry_hook(&self, backend: &'static str) -> wharf_blob::RetryHook {
        let retries = self.retries.clone();
        wharf_blob::RetryHook::new(move || {
            retries.get_or_create(&Backend { backend }).inc();
        })
    }

    fn count<T>(
        &self,
        backend: &'static str,
        operation: &'static str,
        result: &Result<T, VfsError>,
    ) {
        self.operations
            .get_or_create(&Operation { backend, operation })
            .inc();
        if let Err(error) = result {
            self.errors
                .get_or_create(&Failure {
                    backend,
                    operation,
                    kind: kind_name(error.kind()),
                })
                .inc();
        }
    }
}

fn kind_name(kind: VfsErrorKind) -> &'static str {
    match kind {
        VfsErrorKind::NotFound => "not_found",
        VfsErrorKind::AlreadyExists => "already_exists",
        VfsErrorKind::NotADirectory => "not_a_directory",
        VfsErrorKind::IsADirectory => "is_a_directory",
        VfsErrorKind::DirectoryNotEmpty => "directory_not_empty",
        VfsErrorKind::PermissionDenied => "permission_denied",
        VfsErrorKind::QuotaExceeded => "quota_exceeded",
        VfsErrorKind::InvalidName => "invalid_name",
        VfsErrorKind::InvalidOffset => "invalid_offset",
        VfsErrorKind::Unsupported => "unsupported",
        VfsErrorKind::Transient => "transient",
        VfsErrorKind::CrossesMount => "crosses_mount",
        _ => "other",
    }
}

/// A [`Vfs`] whose calls are counted.
pub(crate) struct Measured {
    inner: Arc<dyn Vfs>,
    backend: &'static str,
    counters: StorageCounters,
}

impl Measured {
    pub(crate) fn wrap(
        inner: Arc<dyn Vfs>,
        backend: &'static str,
        counters: StorageCounters,
    ) -> Arc<dyn Vfs> {
        Arc::new(Self {
            inner,
            backend,
            counters,
        })
    }

    fn count<T>(
        &self,
        operation: &'static str,
        result: Result<T, VfsError>,
    ) -> Result<T, VfsError> {
        self.counters.count(self.backend, operation, &result);
        result
    }
}

#[async_trait]
impl Vfs for Measured {
    async fn metadata(&self, path: &VPath) -> Result<Metadata, VfsError> {
        self.count("metadata", self.inner.metadata(path).await)
    }

    async fn list(&self, path: &VPath) -> Result<DirStream, VfsError> {
        self.count("list", self.inner.list(path).await)
    }

    async fn open_read(&self, path: &VPath, offset: u64) -> Result<FileReader, VfsError> {
        self.count("open_read", self.inner.open_read(path, offset).await)
    }

    async fn open_read_sized(&self, path: &VPath, offset: u64) -> Result<OpenedFile, VfsError> {
        self.count("open_read", self.inner.open_read_sized(path, offset).await)
    }

    async fn open_local(
        &self,
        path: &VPath,
        offset: u64,
    ) -> Result<Option<OpenedLocalFile>, VfsError> {
        self.count("open_read", self.inner.open_local(path, offset).await)
    }

    async fn create(&self, path: &VPath, mode: WriteMode) -> Result<Box<dyn Upload>, VfsError> {
        let upload = self.count("create", self.inner.create(path, mode).await)?;
        Ok(Box::new(MeasuredUpload {
            inner: upload,
            backend: self.backend,
            counters: self.counters.clone(),
        }))
    }

    async fn mkdir(&self, path: &VPath) -> Result<(), VfsError> {
        self.count("mkdir", self.inner.mkdir(path).await)
    }

    async fn rmdir(&self, path: &VPath) -> Result<(), VfsError> {
        self.count("rmdir", self.inner.rmdir(path).await)
    }

    async fn remove_file(&self, path: &VPath) -> Result<(), VfsError> {
        self.count("remove_file", self.inner.remove_file(path).await)
    }

    async fn rename(&self, from: &VPath, to: &VPath) -> Result<(), VfsError> {
        self.count("rename", self.inner.rename(from, to).await)
    }

    async fn set_mtime(&self, path: &VPath, modified: SystemTime) -> Result<(), VfsError> {
        self.count("set_mtime", self.inner.set_mtime(path, modified).await)
    }

    async fn stored_md5(&self, path: &VPath) -> Result<Option<[u8; 16]>, VfsError> {
        self.count("stored_md5", self.inner.stored_md5(path).await)
    }

    async fn set_permissions(&self, path: &VPath, mode: u32) -> Result<(), VfsError> {
        self.count(
            "set_permissions",
            self.inner.set_permissions(path, mode).await,
        )
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
}

/// An upload whose commit is counted (`finish`).
struct MeasuredUpload {
    inner: Box<dyn Upload>,
    backend: &'static str,
    counters: StorageCounters,
}

impl AsyncWrite for MeasuredUpload {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[async_trait]
impl Upload for MeasuredUpload {
    async fn finish(self: Box<Self>) -> Result<u64, VfsError> {
        let Self {
            inner,
            backend,
            counters,
        } = *self;
        let result = inner.finish().await;
        counters.count(backend, "finish_upload", &result);
        result
    }

    async fn abort(self: Box<Self>) {
        self.inner.abort().await;
    }

    fn local_file(&mut self) -> Option<&mut dyn wharf_vfs::LocalFile> {
        self.inner.local_file()
    }

    fn bypasses_page_cache(&self) -> bool {
        self.inner.bypasses_page_cache()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;

    #[tokio::test]
    async fn calls_errors_and_retries_are_counted_by_back_end() {
        let metrics = Metrics::new();
        let counters = metrics.storage();
        let memory: Arc<dyn Vfs> = Arc::new(wharf_vfs::MemoryFs::new());
        let vfs = Measured::wrap(memory, "memory", counters.clone());
        let root = VPath::root();
        vfs.metadata(&root).await.unwrap();
        let missing = VPath::parse("/nope").unwrap();
        assert!(vfs.metadata(&missing).await.is_err());
        // What wharf-blob does before each retry.
        let hook = counters.retry_hook("azure");
        hook.call();
        hook.call();
        let text = metrics.render(wharf_session::ServerStats::default());
        let has = |line: &str| text.lines().any(|l| l == line);
        assert!(
            has("wharf_storage_operations_total{backend=\"memory\",operation=\"metadata\"} 2"),
            "{text}"
        );
        assert!(
            has(
                "wharf_storage_errors_total{backend=\"memory\",operation=\"metadata\",kind=\"not_found\"} 1"
            ),
            "{text}"
        );
        assert!(
            has("wharf_storage_retries_total{backend=\"azure\"} 2"),
            "{text}"
        );
    }
}
