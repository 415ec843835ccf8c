//! Helpers for building [`DirStream`]s.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use crate::error::VfsError;
use crate::metadata::DirEntry;
use crate::vfs::DirStream;

/// A listing from an iterator, for back-ends that have their entries at
/// hand (or fetch them lazily inside the iterator).
///
/// See [`next_entry`] for an example.
pub fn list_from_iter<I>(entries: I) -> DirStream
where
    I: IntoIterator<Item = Result<DirEntry, VfsError>>,
    I::IntoIter: Send + Unpin + 'static,
{
    Box::pin(IterStream(entries.into_iter()))
}

/// The next entry of a listing, or `None` at its end: a way to drain a
/// [`DirStream`] without a stream-utilities crate.
///
/// ```
/// use wharf_vfs::{DirEntry, Metadata, list_from_iter, next_entry};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), wharf_vfs::VfsError> {
/// let mut stream = list_from_iter([Ok(DirEntry::new("a.txt", Metadata::file(3)))]);
/// while let Some(entry) = next_entry(&mut stream).await {
///     assert_eq!(entry?.name, b"a.txt");
/// }
/// # Ok(())
/// # }
/// ```
pub async fn next_entry(stream: &mut DirStream) -> Option<Result<DirEntry, VfsError>> {
    std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await
}

/// A stream that is always ready with its iterator's next item.
struct IterStream<I>(I);

impl<I> Stream for IterStream<I>
where
    I: Iterator<Item = Result<DirEntry, VfsError>> + Unpin,
{
    type Item = Result<DirEntry, VfsError>;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.get_mut().0.next())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}
