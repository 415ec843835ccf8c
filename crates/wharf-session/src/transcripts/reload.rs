//! A reload: sessions that start afterwards get the new users and options,
//! running sessions keep their login and go on; what the server built at
//! start (the passive ports) stays, and the reload says so.

use std::sync::Arc;

use crate::testkit::{Harness, PASSWORD, Setup};
use crate::{AuthError, FnAuthenticator, Login, Options, Reload};

#[tokio::test]
async fn new_sessions_get_the_new_settings_and_running_ones_keep_theirs() {
    let mut setup = Setup::default();
    setup.fs([("ten", "0123456789")]);
    let harness = Harness::start(setup).await;
    let mut before = harness.connect().await;
    before.login("a").await;

    // Only `b` may log in now, under a new greeting, two sessions at most.
    let fs = harness.fs.clone();
    let only_b = FnAuthenticator::new(move |user, password, _context| {
        if user == "b" && password == PASSWORD.as_bytes() {
            Ok(Login::new(user, fs.clone(), false))
        } else {
            Err(AuthError::InvalidCredentials)
        }
    });
    let options = Options {
        greeting: "Reloaded.".to_owned(),
        max_sessions: 2,
        passive_ports: Some(40000..=40009),
        ..Options::default()
    };
    let kept = harness
        .connections()
        .reload(Reload::new(Arc::new(only_b), options));
    assert_eq!(kept, ["passive_ports"]);

    // The running session keeps its login and its rights.
    let listed = before.exchange("NLST", None).await;
    assert_eq!(listed.codes(), [150, 226]);
    assert_eq!(
        before.exchange("STOR new", Some(b"x")).await.codes(),
        [150, 226]
    );

    // A new one meets the new greeting and the new users.
    let mut after = harness.open(crate::testkit::CLIENT_IP, false);
    let greeting = after.reply().await;
    assert_eq!(crate::testkit::text(&greeting), "Reloaded.");
    assert_eq!(after.cmd("USER a").await.code().get(), 331);
    assert_eq!(
        after.cmd(&format!("PASS {PASSWORD}")).await.code().get(),
        530
    );
    assert_eq!(after.cmd("USER b").await.code().get(), 331);
    assert_eq!(
        after.cmd(&format!("PASS {PASSWORD}")).await.code().get(),
        230
    );
    // Read-only now, as the new authenticator says.
    assert_eq!(after.cmd("DELE ten").await.code().get(), 550);

    // Two sessions run: a third is over the new cap.
    let mut third = harness.open(crate::testkit::CLIENT_IP, false);
    assert_eq!(third.reply().await.code().get(), 421);
}
