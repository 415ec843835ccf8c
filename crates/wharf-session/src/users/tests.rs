//! The user list: passwords, anonymous access, rates and access lists per
//! login, and argon2 behind its gate.

use std::net::{Ipv4Addr, SocketAddr};

use wharf_vfs::MemoryFs;

use super::*;

fn context() -> AuthContext {
    AuthContext {
        peer: SocketAddr::from((Ipv4Addr::LOCALHOST, 1)),
        host: None,
    }
}

#[tokio::test]
async fn users_and_anonymous() {
    let vfs: Arc<dyn Vfs> = Arc::new(MemoryFs::new());
    let users = UserList::new()
        .with_password("alice", b"secret", vfs.clone(), true)
        .unwrap()
        .with_anonymous(vfs);
    let login = users
        .authenticate("alice", b"secret", &context())
        .await
        .unwrap();
    assert_eq!(login.permissions, PathRules::full());
    // Again: the remembered password (no argon2), and a wrong one still
    // refused.
    assert!(
        users
            .authenticate("alice", b"secret", &context())
            .await
            .is_ok()
    );
    assert_eq!(
        users
            .authenticate("alice", b"wrong", &context())
            .await
            .unwrap_err(),
        AuthError::InvalidCredentials
    );
    assert!(
        users
            .authenticate("bob", b"secret", &context())
            .await
            .is_err()
    );
    let anon = users
        .authenticate("FTP", b"me@x", &context())
        .await
        .unwrap();
    assert_eq!(anon.permissions, PathRules::anonymous());
}

#[tokio::test]
async fn a_user_s_logins_share_its_rates_and_the_list_s() {
    let vfs: Arc<dyn Vfs> = Arc::new(MemoryFs::new());
    let users = UserList::new()
        .with_password("alice", b"secret", vfs.clone(), true)
        .unwrap()
        .with_password("bob", b"secret", vfs.clone(), true)
        .unwrap()
        .with_anonymous(vfs)
        .with_user_rates("alice", 1000, 0)
        .with_user_rates("nobody", 1000, 1000)
        .with_rates(0, 5000);
    let login = |user: &'static str| {
        let users = users.clone();
        async move {
            users
                .authenticate(user, b"secret", &context())
                .await
                .unwrap()
        }
    };
    let (first, second) = (login("alice").await, login("alice").await);
    let rate = |t: &[Arc<Throttle>]| t.iter().map(|t| t.bytes_per_second()).collect::<Vec<_>>();
    assert_eq!(rate(&first.rate_limits.0), [1000]);
    assert_eq!(rate(&first.rate_limits.1), [5000]);
    // One throttle for all of alice's sessions, one for the whole list.
    assert!(Arc::ptr_eq(
        &first.rate_limits.0[0],
        &second.rate_limits.0[0]
    ));
    let bob = login("bob").await;
    assert!(bob.rate_limits.0.is_empty());
    assert!(Arc::ptr_eq(&first.rate_limits.1[0], &bob.rate_limits.1[0]));
    let anonymous = login("anonymous").await;
    assert_eq!(rate(&anonymous.rate_limits.1), [5000]);
}

#[tokio::test]
async fn a_user_access_list_goes_with_every_login() {
    let vfs: Arc<dyn Vfs> = Arc::new(MemoryFs::new());
    let access = AccessList::new().allow("10.0.0.0/8".parse().unwrap());
    let users = UserList::new()
        .with_password("alice", b"secret", vfs.clone(), true)
        .unwrap()
        .with_password("bob", b"secret", vfs, true)
        .unwrap()
        .with_access("alice", access.clone());
    // Checked by argon2, then by the remembered tag: the list both times.
    for _ in 0..2 {
        let login = users
            .authenticate("alice", b"secret", &context())
            .await
            .unwrap();
        assert_eq!(login.access, access);
    }
    let login = users.authenticate("bob", b"secret", &context()).await;
    assert!(login.unwrap().access.is_empty());
}

#[tokio::test]
async fn argon2_runs_only_with_a_permit_and_waiters_reuse_the_result() {
    let vfs: Arc<dyn Vfs> = Arc::new(MemoryFs::new());
    let mut users = UserList::new()
        .with_password("alice", b"secret", vfs, true)
        .unwrap();
    users.hashing = HashingGate::new(1, 8);
    let users = Arc::new(users);
    let held = users.hashing.enter().await.unwrap();
    let logins: Vec<_> = (0..8)
        .map(|_| {
            let users = users.clone();
            tokio::spawn(async move { users.authenticate("alice", b"secret", &context()).await })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(
        logins.iter().all(|login| !login.is_finished()),
        "no login gets past a taken permit"
    );
    drop(held);
    for login in logins {
        assert!(login.await.unwrap().is_ok());
    }
    assert_eq!(users.hashing.gate().available(), 1, "permits come back");
}

#[test]
fn stored_hashes_are_checked() {
    let vfs: Arc<dyn Vfs> = Arc::new(MemoryFs::new());
    assert!(
        UserList::new()
            .with_hash("a", "not a hash", vfs.clone(), true)
            .is_err()
    );
    let hash = hash_password(b"pw").unwrap();
    assert!(hash.starts_with("$argon2id$"));
    assert!(UserList::new().with_hash("a", hash, vfs, true).is_ok());
}

#[tokio::test]
async fn a_user_s_permissions_replace_the_preset_of_its_writable_flag() {
    use crate::permissions::{Permission, Permissions};

    let vfs: Arc<dyn Vfs> = Arc::new(MemoryFs::new());
    let rules = PathRules::read_only().with_rule(
        wharf_vfs::VPath::parse("/in").unwrap(),
        Permissions::NONE.with(Permission::Upload),
    );
    let users = UserList::new()
        .with_password("dropper", b"pw", vfs.clone(), false)
        .unwrap()
        .with_password("plain", b"pw", vfs, false)
        .unwrap()
        .with_permissions("dropper", rules.clone());
    let login = users
        .authenticate("dropper", b"pw", &context())
        .await
        .unwrap();
    assert_eq!(login.permissions, rules);
    let login = users
        .authenticate("plain", b"pw", &context())
        .await
        .unwrap();
    assert_eq!(login.permissions, PathRules::read_only());
}
