//! Faults: wharfd killed (SIGKILL) during uploads to S3 (moto), then
//! started again on the same bucket (the rule and the kill points:
//! `faults_kill.rs`).
//!
//! wharf-blob sends an upload of more than one part (8 MiB) as a
//! multipart upload and completes it on `finish`; `APPE` and `REST`+`STOR`
//! of a large object copy its kept start server-side (UploadPartCopy)
//! into the new multipart upload, completed with `If-Match` on the old
//! ETag; smaller uploads are one PUT at `finish`. A kill before the
//! completion leaves the old object, or none, plus an incomplete multipart
//! upload, which S3 never lists as an object and cannot serve, and keeps
//! (and bills) until it is aborted. wharfd does not abort them at start:
//! it cannot tell another node's live upload from a dead one by anything
//! S3 lists, and an age rule would be a guess about the longest upload.
//! The bucket's lifecycle rule `AbortIncompleteMultipartUpload` does it
//! (docs/faults.md gives it): the test puts that rule on the bucket and
//! reads it back from moto (which keeps but does not run it), checks that
//! keys with only an incomplete upload are neither listed nor served by
//! wharfd, and that a new upload to such a key commits its own bytes.

use crate::faults_kill::{Plan, Stored, kill_runs, seed};
use crate::faults_kill_staged::{kill_once_staged, staged_names_stay_hidden, users_file};
use crate::support;
use crate::support::full;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::azurite::Moto;
use support::{Restartable, Server, ServerBuilder, pattern, require_tool, run};

const LOGIN: (&str, &str) = ("kill", "pw");
const BUCKET: &str = "files";

/// The lifecycle rule docs/faults.md recommends, as S3 takes it.
const LIFECYCLE: &str = "<LifecycleConfiguration><Rule><ID>wharf-abort-incomplete-uploads</ID>\
<Filter><Prefix></Prefix></Filter><Status>Enabled</Status>\
<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>\
</AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>";

/// A request to moto signed with its test keys (curl's SigV4): the HTTP
/// status and the body.
fn request(moto: &Moto, method: &str, path: &str, body: Option<&str>) -> (u16, Vec<u8>) {
    require_tool("curl", "curl");
    let mut command = Command::new("curl");
    command
        .args([
            "-sS",
            "--noproxy",
            "*",
            "-X",
            method,
            "-w",
            "\n%{http_code}",
        ])
        .args([
            "--aws-sigv4",
            "aws:amz:us-east-1:s3",
            "--user",
            "testing:testing",
        ])
        .arg(format!("http://127.0.0.1:{}/{path}", moto.port));
    if let Some(body) = body {
        command.args(["-H", "Content-Type: application/xml", "--data-binary", body]);
    }
    let out = run(&mut command, Duration::from_secs(30));
    assert!(out.status.success(), "{}", out.report());
    let mut bytes = out.stdout;
    let cut = bytes.iter().rposition(|&b| b == b'\n').expect("a status");
    let status = String::from_utf8_lossy(&bytes[cut + 1..])
        .parse()
        .expect("a status");
    bytes.truncate(cut);
    (status, bytes)
}

/// The committed objects, read from moto.
struct Objects<'a>(&'a Moto);

impl Stored for Objects<'_> {
    fn committed(&self, name: &str) -> Option<Vec<u8>> {
        match request(self.0, "GET", &format!("{BUCKET}/{name}"), None) {
            (200, body) => Some(body),
            (404, _) => None,
            (other, body) => panic!("GET {name}: {other} {}", String::from_utf8_lossy(&body)),
        }
    }
}

/// The values of `<tag>` in an XML text.
fn values(xml: &[u8], tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    String::from_utf8_lossy(xml)
        .split(&open)
        .skip(1)
        .filter_map(|rest| rest.split(&close).next())
        .map(str::to_owned)
        .collect()
}

fn s3_server(endpoint: &str, state: &Path) -> ServerBuilder {
    let _ = state;
    Server::builder()
        .file("users.toml", &users_file(LOGIN))
        .file("storage.key", "testing-id:testing-secret")
        .args(&["--users", "{base}/users.toml"])
        .args(&["--storage", &format!("s3://{BUCKET}")])
        .args(&["--storage-key-file", "{base}/storage.key"])
        .args(&["--s3-endpoint", endpoint])
}

/// STOR, APPE and REST+STOR to moto killed at random points (SHORT: 2 of
/// each, up to 20 MiB so that some are multipart and some copy their
/// start server-side; FULL: 20 of each, up to 40 MiB). Client side: a 226
/// or a broken connection. Afterwards each name holds its old content or,
/// after a 226 (or in the commit window), the new content, in moto and
/// through the restarted wharfd; keys with only an incomplete multipart
/// upload are neither listed nor served (one `STOR` is killed once its
/// first part is uploaded, so there is always one), and a new upload to
/// one commits its own bytes; the documented lifecycle rule is one S3 accepts.
#[test]
fn sigkill_during_uploads_to_s3_commits_whole_objects_only() {
    let moto = Moto::start();
    let (status, body) = request(&moto, "PUT", BUCKET, None);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let (status, body) = request(
        &moto,
        "PUT",
        &format!("{BUCKET}?lifecycle"),
        Some(LIFECYCLE),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let (_, rules) = request(&moto, "GET", &format!("{BUCKET}?lifecycle"), None);
    assert_eq!(
        values(&rules, "DaysAfterInitiation"),
        ["1"],
        "{}",
        String::from_utf8_lossy(&rules)
    );

    let endpoint = format!("http://127.0.0.1:{}", moto.port);
    let mut target = Restartable::start(move |state| s3_server(&endpoint, state));
    let seed = seed();
    let plan = Plan {
        label: "s3",
        login: LOGIN,
        runs: if full() { 20 } else { 2 },
        old_max: if full() { 20 << 20 } else { 12 << 20 },
        new_max: if full() { 40 << 20 } else { 20 << 20 },
    };
    let tally = kill_runs(&mut target, &Objects(&moto), &plan, seed);
    let context = format!("WHARF_FAULTS_SEED={seed} {tally:?}");
    // One kill that surely leaves an incomplete multipart upload: 12 MiB
    // of 20 sent, one 8 MiB part uploaded.
    let staged = || {
        let (_, uploads) = request(&moto, "GET", &format!("{BUCKET}?uploads"), None);
        values(&uploads, "Key").iter().any(|k| k == "staged.bin")
    };
    kill_once_staged(
        &mut target,
        LOGIN,
        "staged.bin",
        &pattern(20 << 20, 3),
        12 << 20,
        &staged,
    );

    let (_, listing) = request(&moto, "GET", BUCKET, None);
    let committed = values(&listing, "Key");
    let (_, uploads) = request(&moto, "GET", &format!("{BUCKET}?uploads"), None);
    let incomplete: Vec<String> = values(&uploads, "Key")
        .into_iter()
        .filter(|key| !committed.contains(key))
        .collect();
    staged_names_stay_hidden(
        &target,
        LOGIN,
        &Objects(&moto),
        (committed, incomplete),
        "staged.bin",
        &context,
    );
}
