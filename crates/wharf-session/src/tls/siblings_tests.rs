//! The sibling rule's verdicts, and how ended sessions are kept.

use super::*;
use crate::defence::DEFAULT_IPV6_PREFIX;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn verdicts() {
    let siblings = Arc::new(Siblings::default());
    let alice = siblings.register(ip("192.0.2.1"), DEFAULT_IPV6_PREFIX, [1; 16]);
    let twin = siblings.register(ip("::ffff:192.0.2.1"), DEFAULT_IPV6_PREFIX, [2; 16]);
    let bob = siblings.register(ip("192.0.2.1"), DEFAULT_IPV6_PREFIX, [3; 16]);
    let far = siblings.register(ip("192.0.2.2"), DEFAULT_IPV6_PREFIX, [4; 16]);
    let vhost = siblings.register(ip("192.0.2.1"), DEFAULT_IPV6_PREFIX, [5; 16]);
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
    let own = siblings.register(ip("192.0.2.1"), DEFAULT_IPV6_PREFIX, [1; 16]);
    own.logged_in(None, "alice".into());
    for (token, user) in [([2; 16], "alice"), ([3; 16], "bob")] {
        siblings
            .register(ip("192.0.2.1"), DEFAULT_IPV6_PREFIX, token)
            .logged_in(None, user.into());
    }
    drop(siblings.register(ip("192.0.2.1"), DEFAULT_IPV6_PREFIX, [4; 16]));
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
        .register(ip("192.0.2.1"), DEFAULT_IPV6_PREFIX, [5; 16])
        .logged_in(None, "alice".into());
    assert_eq!(siblings.judge_at(&[1; 16], &[5; 16], now), Verdict::Refuse);
    assert_eq!(siblings.judge_at(&[1; 16], &[1; 16], now), Verdict::Accept);
}

/// A live entry from `ip` (IPv6 grouped by /64), logged in as `user`.
fn entry(ip: IpAddr, user: &str) -> Entry {
    Entry {
        ip,
        group: crate::defence::address_group(ip, DEFAULT_IPV6_PREFIX),
        family: Some((None, user.into())),
        ended: None,
    }
}

/// Adds session `n` from `ip`, logged in as alice, and ends it at `at`.
fn add_ended(sessions: &mut Sessions, n: u32, ip: IpAddr, at: Instant) {
    end_as(sessions, token(n), ip, "alice", at);
}

/// Adds the session `token` from `ip`, logged in as `user`, and ends it at
/// `at`.
fn end_as(sessions: &mut Sessions, token: SessionToken, ip: IpAddr, user: &str, at: Instant) {
    sessions.insert(token, entry(ip, user));
    sessions.end(&token, at);
}

/// What must hold between calls: `kept` counts the ended entries, each
/// group's first slot is current, and the global queue stays bounded.
fn check(sessions: &Sessions) {
    let ended = sessions
        .entries
        .values()
        .filter(|entry| entry.ended.is_some())
        .count();
    assert_eq!(sessions.kept, ended, "kept counts the ended entries");
    sessions.by_address.check_index();
    for slots in sessions.by_address.queues() {
        let first = slots.front().expect("no empty group is kept");
        assert!(
            sessions.ended_at(first).is_some(),
            "a group's first slot is current"
        );
        assert!(slots.len() <= ENDED_PER_ADDRESS);
    }
    assert!(sessions.ended.len() <= 2 * ENDED_MAX);
    assert!(sessions.kept <= ENDED_MAX);
}

/// An address of its own for session `n`.
fn own_address(n: u32) -> IpAddr {
    IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + n))
}

#[test]
fn ended_sessions_are_forgotten_oldest_first_past_the_cap_or_the_time() {
    let mut sessions = Sessions::default();
    let now = Instant::now();
    let add = |sessions: &mut Sessions, n: u32, at: Instant| {
        add_ended(sessions, n, own_address(n), at);
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
    assert_eq!(sessions.kept, 2);
    assert_eq!(
        sessions.by_address.group_count(),
        2,
        "the expired addresses' queues go"
    );
    check(&sessions);
}

#[test]
fn one_address_that_ends_many_sessions_pushes_out_only_its_own() {
    let mut sessions = Sessions::default();
    let now = Instant::now();
    let other = token(u32::MAX);
    end_as(&mut sessions, other, ip("192.0.2.9"), "bob", now);
    let churner = ip("192.0.2.1");
    let count = u32::try_from(ENDED_MAX).unwrap() * 3;
    for n in 0..count {
        add_ended(&mut sessions, n, churner, now);
    }
    assert!(
        sessions.entries.contains_key(&other),
        "another address's ended session stays"
    );
    assert_eq!(sessions.kept, ENDED_PER_ADDRESS + 1);
    assert_eq!(sessions.entries.len(), ENDED_PER_ADDRESS + 1);
    assert!(
        sessions.entries.contains_key(&token(count - 1)),
        "the newest stays"
    );
    let first_kept = count - u32::try_from(ENDED_PER_ADDRESS).unwrap();
    assert!(sessions.entries.contains_key(&token(first_kept)));
    assert!(!sessions.entries.contains_key(&token(first_kept - 1)));
    assert!(
        sessions.ended.len() <= 2 * ENDED_MAX,
        "stale slots are swept"
    );
    assert_eq!(
        sessions
            .by_address
            .len(crate::defence::address_group(churner, DEFAULT_IPV6_PREFIX)),
        ENDED_PER_ADDRESS
    );
    check(&sessions);
}

#[test]
fn an_ipv6_slash_64_is_one_address_for_the_cap() {
    let mut sessions = Sessions::default();
    let now = Instant::now();
    let cap = u32::try_from(ENDED_PER_ADDRESS).unwrap();
    for n in 0..cap {
        add_ended(&mut sessions, n, ip(&format!("2001:db8::{:x}", n + 1)), now);
    }
    add_ended(&mut sessions, cap, ip("2001:db8::ffff:1"), now);
    assert!(
        !sessions.entries.contains_key(&token(0)),
        "same /64: the oldest goes"
    );
    add_ended(&mut sessions, cap + 1, ip("2001:db8:0:1::1"), now);
    assert_eq!(
        sessions.kept,
        ENDED_PER_ADDRESS + 1,
        "another /64 counts apart"
    );
    check(&sessions);
}

#[test]
fn the_token_is_found_anywhere_in_the_state() {
    let siblings = Arc::new(Siblings::default());
    let _r = siblings.register(ip("192.0.2.1"), DEFAULT_IPV6_PREFIX, [7; 16]);
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
    let own = siblings.register(ip("192.0.2.1"), DEFAULT_IPV6_PREFIX, [1; 16]);
    own.logged_in(None, "alice".into());
    let new = siblings.register(ip("192.0.2.1"), DEFAULT_IPV6_PREFIX, [2; 16]);
    let waiting = settling(&siblings, 2);
    tokio::task::yield_now().await;
    new.logged_in(None, "alice".into());
    assert!(waiting.await.unwrap());
    // As another user: refused once it logs in.
    let other = siblings.register(ip("192.0.2.1"), DEFAULT_IPV6_PREFIX, [3; 16]);
    let waiting = settling(&siblings, 3);
    tokio::task::yield_now().await;
    other.logged_in(None, "bob".into());
    assert!(!waiting.await.unwrap());
    // Never logging in: refused after the wait.
    let _silent = siblings.register(ip("192.0.2.1"), DEFAULT_IPV6_PREFIX, [4; 16]);
    assert!(
        !siblings
            .settle(&[1; 16], &[4; 16], Duration::from_millis(50))
            .await
    );
}

#[test]
fn a_token_registered_again_is_not_forgotten_with_its_old_slot() {
    let siblings = Arc::new(Siblings::default());
    let first = siblings.register(ip("192.0.2.1"), DEFAULT_IPV6_PREFIX, token(0));
    first.logged_in(None, "alice".into());
    drop(first);
    let again = siblings.register(ip("192.0.2.1"), DEFAULT_IPV6_PREFIX, token(0));
    assert_eq!(siblings.lock().kept, 0, "live again");
    assert!(
        siblings.lock().by_address.group_count() == 0,
        "its old slot is stale and goes"
    );
    for n in 1..=u32::try_from(ENDED_MAX).unwrap() {
        siblings
            .register(own_address(n), DEFAULT_IPV6_PREFIX, token(n))
            .logged_in(None, "alice".into());
    }
    assert_eq!(siblings.find(&token(0)), Some(token(0)), "still live");
    assert_eq!(siblings.lock().kept, ENDED_MAX);
    drop(again);
    assert_eq!(siblings.find(&token(0)), None, "ended before logging in");
}

#[test]
fn past_the_cap_the_group_holding_the_most_loses_first() {
    let mut sessions = Sessions::default();
    let now = Instant::now();
    let victim = token(u32::MAX);
    end_as(&mut sessions, victim, ip("198.51.100.7"), "bob", now);
    // Enough full groups to fill the cap twice over, all after the victim.
    let groups = 2 * ENDED_MAX / ENDED_PER_ADDRESS;
    let per_group = u32::try_from(ENDED_PER_ADDRESS).unwrap();
    for g in 0..u32::try_from(groups).unwrap() {
        for n in 0..per_group {
            add_ended(&mut sessions, g * per_group + n, own_address(g), now);
        }
    }
    assert!(
        sessions.entries.contains_key(&victim),
        "the oldest entry, alone in its group, stays"
    );
    assert_eq!(sessions.kept, ENDED_MAX);
    check(&sessions);
}

#[test]
fn a_session_ends_once() {
    let mut sessions = Sessions::default();
    let now = Instant::now();
    add_ended(&mut sessions, 1, ip("192.0.2.1"), now);
    sessions.end(&token(1), now);
    check(&sessions);
    assert_eq!(sessions.kept, 1);
    assert_eq!(sessions.ended.len(), 1);
}

#[test]
fn an_ended_token_registered_again_elsewhere_leaves_no_slot_behind() {
    let siblings = Arc::new(Siblings::default());
    let first = siblings.register(ip("192.0.2.1"), DEFAULT_IPV6_PREFIX, token(0));
    first.logged_in(None, "alice".into());
    drop(first);
    assert_eq!(siblings.lock().by_address.group_count(), 1);
    let again = siblings.register(ip("2001:db8::1"), DEFAULT_IPV6_PREFIX, token(0));
    check(&siblings.lock());
    assert!(
        siblings.lock().by_address.group_count() == 0,
        "the old group goes"
    );
    again.logged_in(None, "alice".into());
    drop(again);
    check(&siblings.lock());
    let sessions = siblings.lock();
    assert_eq!(sessions.kept, 1);
    assert_eq!(
        sessions.by_address.group_count(),
        1,
        "counted in its new group"
    );
}

#[test]
fn the_servers_ipv6_prefix_groups_the_addresses() {
    let siblings = Arc::new(Siblings::default());
    for (n, address) in ["2001:db8:0:1::1", "2001:db8:0:2::1"]
        .into_iter()
        .enumerate()
    {
        let r = siblings.register(ip(address), 48, token(u32::try_from(n).unwrap()));
        r.logged_in(None, "alice".into());
    }
    let sessions = siblings.lock();
    let groups: std::collections::HashSet<IpNetwork> =
        sessions.entries.values().map(|entry| entry.group).collect();
    assert_eq!(groups.len(), 1, "one /48");
}
