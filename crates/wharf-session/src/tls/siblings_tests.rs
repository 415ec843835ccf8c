//! The sibling rule's verdicts, and how ended sessions are kept.

use super::*;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn verdicts() {
    let siblings = Arc::new(Siblings::default());
    let alice = siblings.register(ip("192.0.2.1"), [1; 16]);
    let twin = siblings.register(ip("::ffff:192.0.2.1"), [2; 16]);
    let bob = siblings.register(ip("192.0.2.1"), [3; 16]);
    let far = siblings.register(ip("192.0.2.2"), [4; 16]);
    let vhost = siblings.register(ip("192.0.2.1"), [5; 16]);
    for (r, host, user) in [
        (&alice, None, "alice"),
        (&twin, None, "alice"),
        (&bob, None, "bob"),
        (&far, None, "alice"),
        (&vhost, Some("other"), "alice"),
    ] {
        r.logged_in(host.map(str::to_owned), user.to_owned());
    }
    let judge = |resumed: u8| siblings.judge(&[1; 16], &[resumed; 16]);
    assert_eq!(judge(1), Verdict::Accept);
    assert_eq!(
        judge(2),
        Verdict::Accept,
        "an IPv4-mapped address is the same client"
    );
    assert_eq!(judge(3), Verdict::Refuse, "another user");
    assert_eq!(judge(4), Verdict::Refuse, "another address");
    assert_eq!(judge(5), Verdict::Refuse, "another virtual host");
    assert_eq!(judge(9), Verdict::Refuse, "no such session");
    twin.logged_out();
    assert_eq!(judge(2), Verdict::Pending);
    drop(twin);
    assert_eq!(
        judge(2),
        Verdict::Refuse,
        "a session that ended while not logged in"
    );
    // A session that is not logged in accepts only its own.
    alice.logged_out();
    assert_eq!(siblings.judge(&[1; 16], &[3; 16]), Verdict::Refuse);
    assert_eq!(judge(1), Verdict::Accept);
}

fn token(n: u32) -> SessionToken {
    let mut token = [0; 16];
    token[..4].copy_from_slice(&n.to_le_bytes());
    token
}

#[test]
fn a_sibling_that_ended_counts_while_its_tickets_live() {
    let siblings = Arc::new(Siblings::default());
    let own = siblings.register(ip("192.0.2.1"), [1; 16]);
    own.logged_in(None, "alice".into());
    for (token, user) in [([2; 16], "alice"), ([3; 16], "bob")] {
        siblings
            .register(ip("192.0.2.1"), token)
            .logged_in(None, user.into());
    }
    drop(siblings.register(ip("192.0.2.1"), [4; 16]));
    let now = Instant::now();
    assert_eq!(siblings.judge_at(&[1; 16], &[2; 16], now), Verdict::Accept);
    assert_eq!(siblings.find(&[2; 16]), Some([2; 16]));
    assert_eq!(
        siblings.judge_at(&[1; 16], &[3; 16], now),
        Verdict::Refuse,
        "another user's"
    );
    assert_eq!(
        siblings.find(&[4; 16]),
        None,
        "ended before logging in: forgotten"
    );
    let later = now + ENDED_KEPT + Duration::from_secs(1);
    assert_eq!(
        siblings.judge_at(&[1; 16], &[2; 16], later),
        Verdict::Refuse,
        "its tickets have expired"
    );
    // A session that ended admits no one's but its own.
    drop(own);
    siblings
        .register(ip("192.0.2.1"), [5; 16])
        .logged_in(None, "alice".into());
    assert_eq!(siblings.judge_at(&[1; 16], &[5; 16], now), Verdict::Refuse);
    assert_eq!(siblings.judge_at(&[1; 16], &[1; 16], now), Verdict::Accept);
}

#[test]
fn ended_sessions_are_forgotten_oldest_first_past_the_cap_or_the_time() {
    let mut sessions = Sessions::default();
    let now = Instant::now();
    let add = |sessions: &mut Sessions, n: u32, at: Instant| {
        let entry = Entry {
            ip: ip("192.0.2.1"),
            family: Some((None, "alice".into())),
            ended: None,
        };
        sessions.entries.insert(token(n), entry);
        sessions.end(&token(n), at);
    };
    let count = u32::try_from(ENDED_MAX).unwrap();
    for n in 0..=count {
        add(&mut sessions, n, now);
    }
    assert_eq!(sessions.ended.len(), ENDED_MAX);
    assert_eq!(sessions.entries.len(), ENDED_MAX);
    assert!(!sessions.entries.contains_key(&token(0)), "the oldest goes");
    assert!(sessions.entries.contains_key(&token(1)));
    add(&mut sessions, count + 1, now + ENDED_KEPT);
    assert_eq!(sessions.entries.len(), ENDED_MAX, "none expired yet");
    add(
        &mut sessions,
        count + 2,
        now + ENDED_KEPT + Duration::from_secs(1),
    );
    assert_eq!(sessions.entries.len(), 2, "all but the last two expired");
    assert_eq!(sessions.ended.len(), 2);
}

#[test]
fn the_token_is_found_anywhere_in_the_state() {
    let siblings = Arc::new(Siblings::default());
    let _r = siblings.register(ip("192.0.2.1"), [7; 16]);
    let mut state = b"some session state".to_vec();
    state.extend_from_slice(&[7; 16]);
    state.extend_from_slice(b"more");
    assert_eq!(siblings.find(&state), Some([7; 16]));
    assert_eq!(siblings.find(&[8; 40]), None);
}

/// Session 1's verdict on `resumed`'s session, settled in a task of its
/// own.
fn settling(siblings: &Arc<Siblings>, resumed: u8) -> tokio::task::JoinHandle<bool> {
    let siblings = siblings.clone();
    tokio::spawn(async move {
        let wait = Duration::from_secs(10);
        siblings.settle(&[1; 16], &[resumed; 16], wait).await
    })
}

#[tokio::test]
async fn a_pending_verdict_waits_for_the_login() {
    let siblings = Arc::new(Siblings::default());
    let own = siblings.register(ip("192.0.2.1"), [1; 16]);
    own.logged_in(None, "alice".into());
    let new = siblings.register(ip("192.0.2.1"), [2; 16]);
    let waiting = settling(&siblings, 2);
    tokio::task::yield_now().await;
    new.logged_in(None, "alice".into());
    assert!(waiting.await.unwrap());
    // As another user: refused once it logs in.
    let other = siblings.register(ip("192.0.2.1"), [3; 16]);
    let waiting = settling(&siblings, 3);
    tokio::task::yield_now().await;
    other.logged_in(None, "bob".into());
    assert!(!waiting.await.unwrap());
    // Never logging in: refused after the wait.
    let _silent = siblings.register(ip("192.0.2.1"), [4; 16]);
    assert!(
        !siblings
            .settle(&[1; 16], &[4; 16], Duration::from_millis(50))
            .await
    );
}

#[test]
fn a_token_registered_again_is_not_forgotten_with_its_old_slot() {
    let siblings = Arc::new(Siblings::default());
    let first = siblings.register(ip("192.0.2.1"), token(0));
    first.logged_in(None, "alice".into());
    drop(first);
    let again = siblings.register(ip("192.0.2.1"), token(0));
    for n in 1..=u32::try_from(ENDED_MAX).unwrap() {
        siblings
            .register(ip("192.0.2.1"), token(n))
            .logged_in(None, "alice".into());
    }
    assert_eq!(siblings.find(&token(0)), Some(token(0)), "still live");
    assert_eq!(siblings.lock().ended.len(), ENDED_MAX);
    drop(again);
    assert_eq!(siblings.find(&token(0)), None, "ended before logging in");
}
