use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use tokio::time::{sleep, timeout};

use super::{BUSY_HANDS, CallPool, QUEUE_PER_HAND};

const LONG: Duration = Duration::from_secs(3600);
/// Far longer than any of these tests should take: reaching it is a hang.
const HANG: Duration = Duration::from_secs(20);

/// What the pool holds at one moment.
pub(super) struct Counts {
    pub(super) threads: usize,
    pub(super) running: usize,
    pub(super) sleeping: usize,
    pub(super) queued: usize,
    pub(super) watching: bool,
    pub(super) resting: bool,
}

/// Waits until `check` holds for the pool's counts.
async fn until(pool: &CallPool, check: impl Fn(Counts) -> bool) {
    timeout(HANG, async {
        while !check(pool.counts()) {
            sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .expect("the pool's counts never got there");
}

/// Starts `BUSY_HANDS` calls that block until their senders are dropped,
/// and waits until all of them are running.
async fn stuck_calls(pool: &Arc<CallPool>) -> Vec<mpsc::Sender<()>> {
    let mut release = Vec::new();
    for _ in 0..BUSY_HANDS {
        let (tx, rx) = mpsc::channel::<()>();
        let pool = pool.clone();
        tokio::spawn(async move { pool.run(move || rx.recv()).await });
        release.push(tx);
    }
    until(pool, |c| c.running == BUSY_HANDS).await;
    release
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_gets_its_own_answer_and_none_is_left_in_the_queue() {
    let pool = Arc::new(CallPool::new(LONG, Duration::from_millis(1)));
    let mut tasks = Vec::new();
    for task in 0..16u64 {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            for call in 0..300u64 {
                let n = task * 1_000 + call;
                assert_eq!(pool.run(move || n * 3).await.unwrap(), n * 3);
            }
        }));
    }
    timeout(HANG, async {
        for task in tasks {
            task.await.unwrap();
        }
    })
    .await
    .expect("a call was left in the queue");
    until(&pool, |c| c.running == 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_behind_running_calls_that_made_no_progress_gets_a_thread() {
    let pool = Arc::new(CallPool::new(LONG, Duration::from_millis(5)));
    let release = stuck_calls(&pool).await;
    sleep(Duration::from_millis(50)).await;
    let answer = timeout(HANG, pool.run(|| 7)).await;
    assert_eq!(
        answer.expect("the call waited for the stuck ones").unwrap(),
        7
    );
    drop(release);
    until(&pool, |c| c.running == 0).await;
}

/// Submits one call while the stuck calls have just started, so that it is
/// left waiting without a wake; returns where its answer will come.
fn submit_unwoken(pool: &CallPool) -> mpsc::Receiver<u8> {
    let before = pool.counts();
    let (tx, rx) = mpsc::channel();
    pool.submit(Box::new(move || {
        let _ = tx.send(7);
    }));
    let after = pool.counts();
    assert_eq!(
        (after.queued, after.threads, after.sleeping),
        (1, before.threads, before.sleeping),
        "the call should wait, unwoken, behind the calls that just started"
    );
    rx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lone_call_behind_calls_that_stall_after_it_came_gets_a_thread() {
    // Long enough that the call comes while the stuck ones look busy.
    let pool = Arc::new(CallPool::new(LONG, Duration::from_secs(1)));
    // The first time the watcher starts; the second it is woken from rest.
    for round in 0..2 {
        let release = stuck_calls(&pool).await;
        let answer = submit_unwoken(&pool);
        // No other call comes: only the watcher can see the stall.
        let answer = tokio::task::spawn_blocking(move || answer.recv_timeout(HANG));
        assert_eq!(
            answer.await.unwrap(),
            Ok(7),
            "round {round}: the lone call waited as long as the stuck ones"
        );
        drop(release);
        until(&pool, |c| c.running == 0 && c.resting).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watcher_ends_when_nothing_has_waited_for_the_keep_alive() {
    let pool = Arc::new(CallPool::new(Duration::from_millis(50), LONG));
    let release = stuck_calls(&pool).await;
    let answer = submit_unwoken(&pool);
    assert!(pool.counts().watching);
    drop(release);
    let answer = tokio::task::spawn_blocking(move || answer.recv_timeout(HANG));
    assert_eq!(answer.await.unwrap(), Ok(7));
    until(&pool, |c| c.threads == 0 && !c.watching).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_calls_waiting_than_running_threads_wake_another() {
    // Progress never looks stale here: only the queue's length can wake.
    let pool = Arc::new(CallPool::new(LONG, LONG));
    let release = stuck_calls(&pool).await;
    let count = BUSY_HANDS * QUEUE_PER_HAND + 1;
    let answers = submit_all(&pool, count).await;
    let answers = answers.expect("waiting calls were left behind the stuck ones");
    assert_eq!(answers, (0..count).collect::<Vec<_>>());
    drop(release);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_call_loses_its_answer_and_nothing_else() {
    let pool = CallPool::new(LONG, Duration::from_millis(1));
    for _ in 0..3 {
        let answer = timeout(HANG, pool.run(|| -> u8 { panic!("a call that panics") })).await;
        assert!(answer.expect("the panicking call hung").is_err());
    }
    until(&pool, |c| c.running == 0).await;
    let answer = timeout(HANG, pool.run(|| 5)).await;
    assert_eq!(answer.expect("the pool hung after panics").unwrap(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_threads_end_after_the_keep_alive() {
    let pool = Arc::new(CallPool::new(Duration::from_millis(20), LONG));
    submit_all(&pool, 4).await.unwrap();
    assert!(pool.counts().threads >= 1);
    until(&pool, |c| c.threads == 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_thread_that_slept_last_is_woken_first() {
    // Progress always looks stale here: every call wakes or starts one.
    let pool = Arc::new(CallPool::new(LONG, Duration::ZERO));
    let release = stuck_calls(&pool).await;
    submit_all(&pool, 2).await.unwrap();
    drop(release);
    let all_asleep = |c: Counts| c.sleeping == c.threads;
    until(&pool, all_asleep).await;
    assert!(
        pool.counts().threads > 2,
        "the test needs several sleeping threads"
    );
    let mut seen = Vec::new();
    for _ in 0..10 {
        seen.push(pool.run(|| thread::current().id()).await.unwrap());
        until(&pool, all_asleep).await;
    }
    seen.dedup();
    assert_eq!(seen.len(), 1, "calls one at a time went to several threads");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_run_on_tokios_pool_when_no_thread_can_start() {
    let pool = CallPool::new(LONG, LONG);
    pool.shared.refuse_threads.store(true, Ordering::Relaxed);
    let answer = timeout(HANG, pool.run(|| 11)).await;
    assert_eq!(answer.expect("the call was left in the queue").unwrap(), 11);
    assert_eq!(pool.counts().threads, 0);
}

/// Submits `count` calls at once, each answering its number, and gathers
/// the answers in order; `Err` if they do not all come within `HANG`.
async fn submit_all(
    pool: &CallPool,
    count: usize,
) -> Result<Vec<usize>, tokio::time::error::Elapsed> {
    let (tx, rx) = mpsc::channel();
    for n in 0..count {
        let tx = tx.clone();
        pool.submit(Box::new(move || {
            let _ = tx.send(n);
        }));
    }
    drop(tx);
    let gathered = tokio::task::spawn_blocking(move || rx.iter().collect::<Vec<_>>());
    let mut answers = timeout(HANG, gathered).await?.unwrap();
    answers.sort_unstable();
    Ok(answers)
}
