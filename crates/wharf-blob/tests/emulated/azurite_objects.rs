//! Conditional objects on Azurite: concurrent read-change-write updates
//! from many writers lose nothing, and a missing container is created.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support::Emulator;
use wharf_blob::{ConditionalObjects, ObjectError, View};

fn counter(content: Option<&[u8]>) -> Result<Vec<u8>, String> {
    let current: u64 = match content {
        None => 0,
        Some(bytes) => std::str::from_utf8(bytes)
            .map_err(|e| e.to_string())?
            .parse()
            .map_err(|e: std::num::ParseIntError| e.to_string())?,
    };
    Ok((current + 1).to_string().into_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_updates_from_many_writers_lose_nothing() {
    let azurite = Emulator::azurite();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        // One client each, as separate servers would have; the container
        // does not exist yet, so the first writers also create it.
        let objects =
            ConditionalObjects::new(azurite.config(View::Account), "usage", "wharf/quotas")
                .unwrap();
        tasks.push(tokio::spawn(async move {
            for _ in 0..10 {
                objects.update("n", counter).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let objects =
        ConditionalObjects::new(azurite.config(View::Account), "usage", "wharf/quotas").unwrap();
    assert_eq!(objects.read("n").await.unwrap(), Some(b"80".to_vec()));
    assert_eq!(objects.read("missing").await.unwrap(), None);
    let other =
        ConditionalObjects::new(azurite.config(View::Account), "no-such-container", "").unwrap();
    assert_eq!(other.read("n").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_change_writes_nothing() {
    let azurite = Emulator::azurite();
    let objects = ConditionalObjects::new(azurite.config(View::Account), "usage", "").unwrap();
    objects
        .update("x", |_| Ok(b"not a number".to_vec()))
        .await
        .unwrap();
    let error = objects.update("x", counter).await.unwrap_err();
    assert!(matches!(error, ObjectError::Rejected { .. }), "{error}");
    assert_eq!(
        objects.read("x").await.unwrap(),
        Some(b"not a number".to_vec())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_may_leave_the_object_as_it_is() {
    let azurite = Emulator::azurite();
    let objects = ConditionalObjects::new(azurite.config(View::Account), "state", "").unwrap();
    assert_eq!(objects.change("x", |_| Ok(None)).await.unwrap(), None);
    assert_eq!(
        objects.read("x").await.unwrap(),
        None,
        "nothing was written"
    );
    objects.update("x", counter).await.unwrap();
    let kept = objects.change("x", |_| Ok(None)).await.unwrap();
    assert_eq!(kept, Some(b"1".to_vec()));
    let written = objects.change("x", |c| counter(c).map(Some)).await.unwrap();
    assert_eq!(written, Some(b"2".to_vec()));
    assert_eq!(objects.read("x").await.unwrap(), Some(b"2".to_vec()));
}
