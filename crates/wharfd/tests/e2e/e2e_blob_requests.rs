//! The requests wharfd sends to Azure Blob Storage per FTP operation
//! (issue #24, blob rows): wharfd with `--azure-passthrough` (the
//! bench's set-up) reaches Azurite through a [`FaultRelay`], which counts
//! every HTTP request head, and each operation's requests are the ones
//! counted between sending its command and reading its final reply.
//!
//! Every count is asserted exactly, so a change that adds a round trip to
//! an operation fails here, and so does one that removes one without
//! saying so (the expected table is `docs/performance/blob-requests.md`'s
//! "after" column; update both together). With `--nocapture` the test
//! prints each operation's requests, the source of that table.
//!
//! The folders: `/box` is a container, `/box/dir` a folder made by `MKD`
//! (it has its `.placeholder` marker), `/box/bare` a folder that exists
//! only because a blob is in it (put there straight into Azurite, as the
//! bench's SDK does, so it has no marker).
//!
//! S3 shares the code paths; its counts (moto, `--storage s3://`, a
//! bucket as `/box`) are asserted the same way, in [`EXPECTED_S3`].

use crate::support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use support::azurite::{ACCOUNT, Azurite, KEY, Moto};
use support::fault_relay::FaultRelay;
use support::{Ftp, PASSWORD, Server, USER, require_tool, run};
use wharf_test_support::sas::{container_sas, in_an_hour};

/// How long any reply may take.
const WAIT: Duration = Duration::from_secs(60);

/// The small file of the bench's small-files row.
const SMALL: usize = 4096;

/// Each operation and the requests it may make: exactly these many.
const EXPECTED: &[(&str, usize)] = &[
    ("login (USER + PASS)", 1),
    ("CWD /box (a container)", 1),
    ("CWD /box/dir (a folder with its marker)", 2),
    ("CWD /box/bare (a folder without a marker)", 3),
    ("STOR /box/small.bin (4 KiB, new)", 2),
    ("STOR /box/small.bin (4 KiB, replaced)", 2),
    ("STOR /box/dir/small.bin (4 KiB, in a folder)", 3),
    ("SIZE /box/small.bin", 1),
    ("MDTM /box/small.bin", 1),
    ("RETR /box/small.bin", 1),
    ("DELE /box/small.bin", 1),
    ("small-file operation (STOR + RETR + DELE)", 4),
    ("LIST /box/dir", 4),
    ("MLSD /box/dir", 4),
    ("NLST /box/dir", 4),
    ("LIST /box/bare", 5),
    ("LIST /box (a container)", 2),
    ("MKD /box/made", 3),
    ("RMD /box/made", 3),
    ("RNFR /box/dir/small.bin", 1),
    ("RNTO /box/dir/moved.bin", 5),
    ("DELE /box/dir/moved.bin (the folder keeps its marker)", 2),
    ("DELE /box/nothing (550)", 3),
    ("DELE /box/dir (a folder: 550)", 2),
];

/// The same on S3 (moto): deleting a key answers 204 whether or not it
/// was there, so DELE keeps the HEAD that Azure's DELETE makes needless.
const EXPECTED_S3: &[(&str, usize)] = &[
    ("STOR /box/small.bin (4 KiB, new)", 2),
    ("SIZE /box/small.bin", 1),
    ("RETR /box/small.bin", 1),
    ("DELE /box/small.bin", 2),
    ("small-file operation (STOR + RETR + DELE)", 5),
    ("LIST /box/dir", 4),
    ("MKD /box/made", 3),
    ("RMD /box/made", 3),
    ("RNFR /box/dir/small.bin", 1),
    ("RNTO /box/dir/moved.bin", 5),
    ("DELE /box/dir/moved.bin (the folder keeps its marker)", 3),
    ("DELE /box/nothing (550)", 3),
    ("DELE /box/dir (a folder: 550)", 2),
];

/// The data steps of this suite on [`Ftp`]: `EPSV` data connections, and
/// the 150 reply that announces a download's size.
trait Transfers {
    /// `EPSV`, then `line`: the data connection once the server said 150,
    /// and that reply.
    fn open_epsv(&mut self, line: &str) -> (TcpStream, String);
    /// `STOR path` of `bytes`, to its `226`.
    fn upload(&mut self, path: &str, bytes: &[u8]);
    /// The bytes `line` (RETR, LIST...) sends, to its `226`.
    fn read(&mut self, line: &str) -> Vec<u8>;
    /// The 150 reply of `line` and the bytes that came.
    fn read_announced(&mut self, line: &str) -> (String, Vec<u8>);
}

impl Transfers for Ftp {
    fn open_epsv(&mut self, line: &str) -> (TcpStream, String) {
        let reply = self.command("EPSV", "229");
        let port: u16 = reply
            .split("|||")
            .nth(1)
            .and_then(|rest| rest.split('|').next())
            .and_then(|port| port.parse().ok())
            .expect("229 (|||port|)");
        let data = TcpStream::connect(("127.0.0.1", port)).expect("the data connection");
        data.set_read_timeout(Some(WAIT)).expect("socket");
        let announced = self.command(line, "150");
        (data, announced)
    }

    fn upload(&mut self, path: &str, bytes: &[u8]) {
        let (mut data, _) = self.open_epsv(&format!("STOR {path}"));
        data.write_all(bytes).expect("send the file");
        drop(data);
        self.expect("226");
    }

    fn read(&mut self, line: &str) -> Vec<u8> {
        self.read_announced(line).1
    }

    fn read_announced(&mut self, line: &str) -> (String, Vec<u8>) {
        let (mut data, announced) = self.open_epsv(line);
        let mut bytes = Vec::new();
        data.read_to_end(&mut bytes).expect("read the data");
        self.expect("226");
        (announced, bytes)
    }
}

/// wharfd bridging FTP to Azurite's account through the relay.
fn bridge(relay: &FaultRelay) -> Server {
    Server::builder()
        .args(&[
            "--azure-passthrough",
            "--azure-endpoint",
            &format!("{}/{{account}}", relay.url()),
            "--allow-account-keys-in-clear",
        ])
        .start()
}

/// Puts an empty blob straight into Azurite (no folder marker), as the
/// bench's SDK does.
fn put_blob(azurite: &Azurite, container: &str, name: &str) {
    require_tool("curl", "curl");
    let sas = container_sas(ACCOUNT, KEY, container, "rwl", &in_an_hour());
    let url = format!(
        "http://127.0.0.1:{}/{ACCOUNT}/{container}/{name}?{sas}",
        azurite.port
    );
    let out = run(
        Command::new("curl")
            .args(["-sS", "--noproxy", "*", "-f", "-X", "PUT"])
            .args(["-H", "x-ms-blob-type: BlockBlob", "-H", "Content-Length: 0"])
            .arg(&url),
        WAIT,
    );
    assert!(out.status.success(), "{}", out.report());
}

/// Counts the requests of each operation.
struct Counter<'a> {
    relay: &'a FaultRelay,
    seen: Vec<(String, Vec<String>)>,
}

impl Counter<'_> {
    fn count(&mut self, label: &str, operation: impl FnOnce()) {
        let before = self.relay.requests().len();
        operation();
        let made = self.relay.requests()[before..]
            .iter()
            .map(|request| request.replace(&format!("/{ACCOUNT}"), ""))
            .collect();
        self.seen.push((label.to_owned(), made));
    }
}

#[test]
fn requests_per_operation() {
    let azurite = Azurite::start();
    let relay = FaultRelay::start(azurite.port);
    let server = bridge(&relay);
    let addr = server.addr();
    let payload = vec![0x3cu8; SMALL];

    let mut setup = Ftp::connect(addr, WAIT);
    setup.command(&format!("USER {ACCOUNT}"), "331");
    setup.command(&format!("PASS {KEY}"), "230");
    setup.command("MKD /box", "257");
    setup.command("MKD /box/dir", "257");
    put_blob(&azurite, "box", "bare/one.bin");
    setup.command("QUIT", "221");

    let mut counter = Counter {
        relay: &relay,
        seen: Vec::new(),
    };
    let mut ftp = Ftp::connect(addr, WAIT);
    counter.count("login (USER + PASS)", || {
        ftp.command(&format!("USER {ACCOUNT}"), "331");
        ftp.command(&format!("PASS {KEY}"), "230");
    });
    ftp.command("TYPE I", "200");
    counter.count("CWD /box (a container)", || {
        ftp.command("CWD /box", "250");
    });
    counter.count("CWD /box/dir (a folder with its marker)", || {
        ftp.command("CWD /box/dir", "250");
    });
    counter.count("CWD /box/bare (a folder without a marker)", || {
        ftp.command("CWD /box/bare", "250");
    });
    counter.count("STOR /box/small.bin (4 KiB, new)", || {
        ftp.upload("/box/small.bin", &payload);
    });
    counter.count("STOR /box/small.bin (4 KiB, replaced)", || {
        ftp.upload("/box/small.bin", &payload);
    });
    counter.count("STOR /box/dir/small.bin (4 KiB, in a folder)", || {
        ftp.upload("/box/dir/small.bin", &payload);
    });
    counter.count("SIZE /box/small.bin", || {
        let reply = ftp.command("SIZE /box/small.bin", "213");
        assert_eq!(reply, format!("213 {SMALL}"));
    });
    counter.count("MDTM /box/small.bin", || {
        ftp.command("MDTM /box/small.bin", "213");
    });
    count_file_rows(&mut counter, &mut ftp, &payload);
    counter.count("MLSD /box/dir", || {
        let listing = String::from_utf8(ftp.read("MLSD /box/dir")).expect("text");
        assert!(listing.contains("small.bin"), "{listing}");
    });
    counter.count("NLST /box/dir", || {
        let listing = String::from_utf8(ftp.read("NLST /box/dir")).expect("text");
        assert!(listing.contains("small.bin"), "{listing}");
    });
    counter.count("LIST /box/bare", || {
        let listing = String::from_utf8(ftp.read("LIST /box/bare")).expect("text");
        assert!(listing.contains("one.bin"), "{listing}");
    });
    counter.count("LIST /box (a container)", || {
        let listing = String::from_utf8(ftp.read("LIST /box")).expect("text");
        assert!(
            listing.contains("dir") && listing.contains("bare"),
            "{listing}"
        );
    });
    count_folder_rows(&mut counter, &mut ftp);
    ftp.command("QUIT", "221");

    // The folder is still there, and still empty but for its marker.
    let mut check = Ftp::connect(addr, WAIT);
    check.command(&format!("USER {ACCOUNT}"), "331");
    check.command(&format!("PASS {KEY}"), "230");
    check.command("CWD /box/dir", "250");
    assert!(check.read("NLST /box/dir").is_empty());

    assert_counts(&counter.seen, EXPECTED);
}

/// The rows both stores share, for a file: RETR (the 150 must carry the
/// size), DELE, the small-files row's STOR + RETR + DELE, and a LIST.
fn count_file_rows(counter: &mut Counter<'_>, ftp: &mut Ftp, payload: &[u8]) {
    counter.count("RETR /box/small.bin", || {
        // The size in the 150 comes from the GET's answer now.
        let (announced, bytes) = ftp.read_announced("RETR /box/small.bin");
        assert!(bytes == payload);
        assert!(
            announced.contains(&format!("({SMALL} bytes)")),
            "{announced}"
        );
    });
    counter.count("DELE /box/small.bin", || {
        ftp.command("DELE /box/small.bin", "250");
    });
    counter.count("small-file operation (STOR + RETR + DELE)", || {
        ftp.upload("/box/small-0.bin", payload);
        assert!(ftp.read("RETR /box/small-0.bin") == payload);
        ftp.command("DELE /box/small-0.bin", "250");
    });
    counter.count("LIST /box/dir", || {
        let listing = String::from_utf8(ftp.read("LIST /box/dir")).expect("text");
        assert!(listing.contains("small.bin"), "{listing}");
    });
}

/// The rows both stores share, for folders and names: MKD, RMD, a rename
/// in a folder, and DELE of a file, of nothing and of a folder.
fn count_folder_rows(counter: &mut Counter<'_>, ftp: &mut Ftp) {
    counter.count("MKD /box/made", || {
        ftp.command("MKD /box/made", "257");
    });
    counter.count("RMD /box/made", || {
        ftp.command("RMD /box/made", "250");
    });
    counter.count("RNFR /box/dir/small.bin", || {
        ftp.command("RNFR /box/dir/small.bin", "350");
    });
    counter.count("RNTO /box/dir/moved.bin", || {
        ftp.command("RNTO /box/dir/moved.bin", "250");
    });
    counter.count(
        "DELE /box/dir/moved.bin (the folder keeps its marker)",
        || {
            ftp.command("DELE /box/dir/moved.bin", "250");
        },
    );
    counter.count("DELE /box/nothing (550)", || {
        ftp.command("DELE /box/nothing", "550");
    });
    counter.count("DELE /box/dir (a folder: 550)", || {
        ftp.command("DELE /box/dir", "550");
    });
}

/// Prints the table of `seen` (the source of the doc's table, seen with
/// `--nocapture`) and asserts its counts are `expected`.
#[allow(clippy::print_stdout)]
fn assert_counts(seen: &[(String, Vec<String>)], expected: &[(&str, usize)]) {
    let mut table = String::from("| operation | requests | what |\n|---|---|---|\n");
    for (label, made) in seen {
        table.push_str(&format!(
            "| {label} | {} | {} |\n",
            made.len(),
            made.iter()
                .map(|r| format!("`{r}`"))
                .collect::<Vec<_>>()
                .join("<br>")
        ));
    }
    println!("{table}");
    let counted: Vec<(&str, usize)> = seen
        .iter()
        .map(|(label, made)| (label.as_str(), made.len()))
        .collect();
    assert_eq!(counted, expected, "requests per operation:\n{table}");
}

#[test]
fn s3_requests_per_operation() {
    let moto = Moto::start();
    let relay = FaultRelay::start(moto.port);
    let server = Server::builder()
        .file("storage.key", "testing:testing")
        .args(&[
            "--storage",
            "s3://",
            "--storage-key-file",
            "{base}/storage.key",
            "--s3-endpoint",
            &relay.url(),
        ])
        .start();
    let addr = server.addr();
    let payload = vec![0x3cu8; SMALL];
    let mut ftp = Ftp::connect(addr, WAIT);
    ftp.command(&format!("USER {USER}"), "331");
    ftp.command(&format!("PASS {PASSWORD}"), "230");
    ftp.command("TYPE I", "200");
    ftp.command("MKD /box", "257");
    ftp.command("MKD /box/dir", "257");
    ftp.upload("/box/dir/small.bin", &payload);

    let mut counter = Counter {
        relay: &relay,
        seen: Vec::new(),
    };
    counter.count("STOR /box/small.bin (4 KiB, new)", || {
        ftp.upload("/box/small.bin", &payload);
    });
    counter.count("SIZE /box/small.bin", || {
        ftp.command("SIZE /box/small.bin", "213");
    });
    count_file_rows(&mut counter, &mut ftp, &payload);
    count_folder_rows(&mut counter, &mut ftp);
    ftp.command("CWD /box/dir", "250");
    assert!(ftp.read("NLST /box/dir").is_empty());
    ftp.command("QUIT", "221");
    assert_counts(&counter.seen, EXPECTED_S3);
}
