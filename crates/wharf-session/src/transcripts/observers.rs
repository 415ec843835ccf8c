//! What observers hear: sessions, logins, commands with their replies
//! (never a password), transfers with their real verbs, sizes and ends,
//! TLS handshakes, quota refusals, refused connections; and the gauges of
//! `Connections::stats`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::observe::{
    CommandRecord, ConnectionRefusal, HandshakeResult, LoginResult, SessionInfo, TlsChannel,
    TransferRecord,
};
use crate::testkit::{ByteQuota, Harness, Setup};
use crate::{Direction, Observer};

/// Every event, one line each, in order.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Recorder {
    fn push(&self, line: String) {
        self.0.lock().unwrap().push(line);
    }

    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// The lines that start with `kind`.
    fn of(&self, kind: &str) -> Vec<String> {
        self.lines()
            .into_iter()
            .filter(|l| l.starts_with(kind))
            .collect()
    }

    /// Waits until a line starting with `kind` was recorded `count` times:
    /// the session's end is reported after the client saw its last reply.
    async fn wait_for(&self, kind: &str, count: usize) {
        for _ in 0..200 {
            if self.of(kind).len() >= count {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("no {count} {kind} events: {:?}", self.lines());
    }
}

fn who(s: &SessionInfo<'_>) -> String {
    format!("#{} {}", s.id, s.user.unwrap_or("-"))
}

impl Observer for Recorder {
    fn session_opened(&self, s: &SessionInfo<'_>) {
        self.push(format!("open {} tls={}", who(s), s.implicit_tls));
    }
    fn session_closed(&self, s: &SessionInfo<'_>) {
        self.push(format!("close {} tls={}", who(s), s.tls));
    }
    fn connection_refused(&self, _peer: SocketAddr, _local: SocketAddr, why: ConnectionRefusal) {
        self.push(format!("refused {why:?}"));
    }
    fn login(&self, s: &SessionInfo<'_>, user: &str, result: LoginResult) {
        self.push(format!("login {} {user} {result:?}", who(s)));
    }
    fn command(&self, s: &SessionInfo<'_>, c: &CommandRecord<'_>) {
        let argument = c.argument.unwrap_or("");
        self.push(format!(
            "command {} {} {argument} {}",
            who(s),
            c.verb,
            c.reply.get()
        ));
    }
    fn transfer(&self, s: &SessionInfo<'_>, t: &TransferRecord<'_>) {
        self.push(format!(
            "transfer {} {} {} {:?} {} ascii={} {:?} {:?}",
            who(s),
            t.verb,
            t.path,
            t.kind,
            t.bytes,
            t.ascii,
            t.status,
            t.reply.map(|r| r.get())
        ));
    }
    fn quota_refused(&self, s: &SessionInfo<'_>, direction: Direction) {
        self.push(format!("quota {} {direction:?}", who(s)));
    }
    fn tls_handshake(&self, s: &SessionInfo<'_>, channel: TlsChannel, result: HandshakeResult) {
        self.push(format!("tls {} {channel:?} {result:?}", who(s)));
    }
}

async fn harness(change: impl FnOnce(&mut Setup)) -> (Harness, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    let mut setup = Setup::default();
    setup.fs([("ten", "0123456789")]);
    setup.observer(recorder.clone());
    change(&mut setup);
    (Harness::start(setup).await, recorder)
}

#[tokio::test]
async fn a_session_is_heard_command_by_command() {
    let (harness, events) = harness(|_| {}).await;
    let mut client = harness.connect().await;
    assert_eq!(client.cmd("USER a").await.code().get(), 331);
    assert_eq!(client.cmd("PASS wrong").await.code().get(), 530);
    client.login("a").await;
    let up = client.exchange("APPE new", Some(b"abc")).await;
    assert_eq!(up.codes(), [150, 226]);
    let listed = client.exchange("NLST", None).await;
    assert_eq!(listed.codes(), [150, 226]);
    assert_eq!(client.cmd("TYPE A").await.code().get(), 200);
    let down = client.exchange("RETR ten", None).await;
    assert_eq!(down.codes(), [150, 226]);
    assert_eq!(client.cmd("QUIT").await.code().get(), 221);
    events.wait_for("close", 1).await;
    let lines = events.lines();
    let listing = 5 + 5; // "new\r\n" and "ten\r\n"
    assert_eq!(
        lines
            .iter()
            .filter(|l| !l.starts_with("command #1 a EPSV")
                && !l.starts_with("command #1 a PASV")
                && !l.starts_with("command #1 a PORT"))
            .map(String::as_str)
            .collect::<Vec<_>>(),
        [
            "open #1 - tls=false",
            "command #1 - USER a 331",
            "login #1 - a Rejected",
            "command #1 - PASS *** 530",
            "command #1 - USER a 331",
            "login #1 a a Accepted",
            "command #1 a PASS *** 230",
            "command #1 a APPE new 150",
            "transfer #1 a APPE /new Upload 3 ascii=false Complete Some(226)",
            "command #1 a NLST  150",
            &format!("transfer #1 a NLST / Listing {listing} ascii=false Complete Some(226)"),
            "command #1 a TYPE A 200",
            "command #1 a RETR ten 150",
            // TYPE A: the bytes as they went over the wire.
            "transfer #1 a RETR /ten Download 10 ascii=true Complete Some(226)",
            "command #1 a QUIT  221",
            "close #1 a tls=false",
        ],
        "{lines:#?}"
    );
}

#[tokio::test]
async fn tls_handshakes_and_an_aborted_transfer_are_heard() {
    let (harness, events) = harness(|setup| setup.tls(true)).await;
    let mut client = harness.connect().await;
    assert_eq!(client.cmd("AUTH TLS").await.code().get(), 234);
    client.login("a").await;
    assert_eq!(client.cmd("PBSZ 0").await.code().get(), 200);
    assert_eq!(client.cmd("PROT P").await.code().get(), 200);
    let down = client.exchange("RETR ten", None).await;
    assert_eq!(down.codes(), [150, 226]);
    // A transfer still running when the client goes is heard as aborted,
    // with no final reply.
    assert_eq!(client.cmd("PASV").await.code().get(), 227);
    client.send_raw(b"STOR slow\r\n").await;
    assert_eq!(client.reply().await.code().get(), 150);
    drop(client);
    events.wait_for("close", 1).await;
    let tls = events.of("tls");
    // The client had connected for the upload, and went before its TLS
    // handshake ended.
    assert_eq!(
        tls,
        [
            "tls #1 - Control Completed",
            "tls #1 a Data Completed",
            "tls #1 a Data Failed"
        ],
        "{:#?}",
        events.lines()
    );
    assert_eq!(
        events.of("transfer #1 a STOR"),
        ["transfer #1 a STOR /slow Upload 0 ascii=false Aborted None"]
    );
    assert_eq!(events.of("close"), ["close #1 a tls=true"]);
}

#[tokio::test]
async fn quota_refusals_and_refused_connections_are_heard() {
    let quota = Arc::new(ByteQuota::new(4, u64::MAX));
    let (harness, events) = harness(|setup| {
        setup.quota(quota.clone());
        setup.options(|o| o.max_sessions = 1);
    })
    .await;
    let mut client = harness.connect().await;
    client.login("a").await;
    // Cut at the quota, then refused before it starts.
    assert_eq!(client.exchange("RETR ten", None).await.codes(), [150, 451]);
    assert_eq!(client.exchange("RETR ten", None).await.codes(), [451]);
    assert_eq!(
        events.of("quota"),
        ["quota #1 a Download", "quota #1 a Download"]
    );
    assert_eq!(
        events.of("transfer"),
        ["transfer #1 a RETR /ten Download 4 ascii=false Failed Some(451)"]
    );
    let stats = harness.stats();
    assert_eq!((stats.sessions, stats.sessions_not_logged_in), (1, 0));
    // One session at most: a second connection is refused.
    let mut second = harness.open(crate::testkit::CLIENT_IP, false);
    assert_eq!(second.reply().await.code().get(), 421);
    assert_eq!(events.of("refused"), ["refused Limit"]);
    assert_eq!(events.of("open").len(), 1);
}

#[tokio::test]
async fn a_connection_the_access_list_refuses_is_heard() {
    let (harness, events) = harness(|setup| {
        setup.options(|o| {
            o.access = crate::AccessList::new().deny("192.0.2.0/24".parse().unwrap());
        });
    })
    .await;
    let mut client = harness.open(crate::testkit::CLIENT_IP, false);
    assert_eq!(client.reply().await.code().get(), 421);
    assert_eq!(events.of("refused"), ["refused AccessList"]);
    assert!(events.of("open").is_empty());
}
