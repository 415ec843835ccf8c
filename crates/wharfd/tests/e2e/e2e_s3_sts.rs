//! S3 identities end to end: wharfd `--storage s3://` in front of moto's S3
//! and STS with temporary credentials, driven by curl.
//!
//! moto checks credentials only once its IAM authentication is on
//! (`/moto-api/reset-auth`); then it knows only the keys of IAM users it
//! created and of roles assumed through its STS, verifies every request's
//! SigV4 signature, and refuses an assumed-role key whose
//! `x-amz-security-token` is missing or wrong. The tests set up a user, a
//! role and their policies with auth off (boto3 from moto's own venv), then
//! turn it on, so a request of wharfd's that left the session token out
//! (an object_store upload or a REST call of wharf-blob's) fails the test.
//!
//! What moto cannot show: it never expires a credential (an expired
//! session is a recorded response in wharf-blob's unit tests), and the
//! keys its GetSessionToken returns are fixed examples that its own
//! authentication does not know, so the session-token test uses keys from
//! AssumeRole, which are the same kind of credential (key, secret, token).
//! AssumeRoleWithWebIdentity and the instance metadata answer only with
//! auth off.
//!
//! Two moto limits need a stand-in. moto reads an unsigned STS call's
//! parameters only from a form body, while object_store sends
//! AssumeRoleWithWebIdentity's in the query string (which STS accepts):
//! [`QueryToForm`] moves them into the body on the way. And virtual-hosted
//! buckets need host names: that test gives wharfd AWS's own
//! (`box.s3.amazonaws.com`) and an HTTP proxy (`HTTP_PROXY`, which
//! wharf-blob's client honours) that is a loopback [`Forwarder`] to moto
//! (it reads the bucket from the `Host` header): nothing is resolved or
//! leaves the machine.

use crate::support;

use std::process::Command;
use std::time::Duration;

use support::moto_sts::{Forwarder, QueryToForm, Sts};
use support::{PASSWORD, Server, USER, pattern, require_tool, run};

const TIMEOUT: Duration = Duration::from_secs(60);

/// wharfd serving moto's buckets with the key file `key` and `extra` flags.
fn bridge(sts: &Sts, key: Option<&str>, extra: &[&str]) -> Server {
    let mut builder =
        Server::builder().args(&["--storage", "s3://", "--s3-endpoint", &sts.endpoint()]);
    if let Some(key) = key {
        builder = builder
            .file("storage.key", key)
            .args(&["--storage-key-file", "{base}/storage.key"]);
    }
    builder.args(extra).start()
}

/// wharfd with `args` and `env` that must fail to start; its stderr.
fn refused_start(sts: &Sts, args: &[&str], env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().expect("test set-up");
    let mut command = Command::new(env!("CARGO_BIN_EXE_wharfd"));
    command
        .args([
            "--listen",
            "127.0.0.1:0",
            "--storage",
            "s3://",
            "--s3-endpoint",
            &sts.endpoint(),
        ])
        .arg("--root")
        .arg(dir.path().join("root"))
        .args(args)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN");
    for (name, value) in env {
        command.env(name, value);
    }
    let finished = run(&mut command, TIMEOUT);
    assert!(
        !finished.status.success(),
        "wharfd started with {args:?} {env:?}"
    );
    finished.stderr_text()
}

/// curl as the harness's user; the finished process.
fn curl(args: &[&str]) -> support::Finished {
    require_tool("curl", "curl");
    run(
        Command::new("curl")
            .args(["-sS", "-v", "-u", &format!("{USER}:{PASSWORD}")])
            .args(args),
        TIMEOUT,
    )
}

/// curl that must succeed; its output.
fn ok(server: &Server, args: &[&str]) -> Vec<u8> {
    let finished = curl(args);
    assert!(
        finished.status.success(),
        "curl {args:?} failed\n{}\n{}",
        finished.report(),
        server.log_tail()
    );
    finished.stdout
}

/// Buckets, folders (markers), a multipart upload, a download, listings
/// and renames (server-side copies): every kind of request wharf-blob
/// sends, REST and object_store alike.
fn exercise(server: &Server) {
    let url = server.url();
    ok(server, &["-Q", "MKD /box", &format!("{url}/")]);
    ok(server, &["-Q", "MKD /box/dir", &format!("{url}/")]);
    let dir = tempfile::tempdir().expect("test set-up");
    let local = dir.path().join("f.bin");
    let data = pattern(6 * 1024 * 1024 + 3, 21);
    std::fs::write(&local, &data).expect("test set-up");
    ok(
        server,
        &[
            "-T",
            local.to_str().expect("utf-8"),
            &format!("{url}/box/dir/f.bin"),
        ],
    );
    assert!(
        ok(server, &[&format!("{url}/box/dir/f.bin")]) == data,
        "download differs"
    );
    ok(
        server,
        &[
            "-Q",
            "RNFR /box/dir",
            "-Q",
            "RNTO /box/moved",
            &format!("{url}/"),
        ],
    );
    let listing =
        String::from_utf8_lossy(&ok(server, &[&format!("{url}/box/moved/")])).into_owned();
    assert!(listing.contains("f.bin"), "{listing}");
    let top = String::from_utf8_lossy(&ok(server, &[&format!("{url}/")])).into_owned();
    assert!(top.contains("box"), "{top}");
    assert!(
        ok(server, &[&format!("{url}/box/moved/f.bin")]) == data,
        "moved file differs"
    );
}

#[test]
fn a_session_token_signs_every_request() {
    let sts = Sts::start();
    sts.authenticate();
    let server = bridge(
        &sts,
        Some(sts.value("session")),
        &["--s3-credential", "session"],
    );
    exercise(&server);
}

/// GetSessionToken's keys are fixed examples moto's authentication does
/// not know, so here moto checks nothing: the proxy shows the token on
/// every request instead.
#[test]
fn a_get_session_token_credential_from_the_environment() {
    let sts = Sts::start();
    let proxy = Forwarder::start(sts.moto.port);
    let credential = sts.value("get_session_token").to_owned();
    let mut parts = credential.splitn(3, ':');
    let (id, secret, token) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let server = Server::builder()
        .args(&[
            "--storage",
            "s3://",
            "--s3-endpoint",
            &sts.endpoint(),
            "--s3-credential",
            "session",
        ])
        .env("HTTP_PROXY", &proxy.url())
        .env("AWS_ACCESS_KEY_ID", id)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_SESSION_TOKEN", token)
        .start();
    exercise(&server);
    let sent = proxy.sent();
    let requests = sent.matches(" HTTP/1.1\r\n").count();
    let signed = sent
        .to_lowercase()
        .matches(&format!(
            "x-amz-security-token: {}\r\n",
            token.to_lowercase()
        ))
        .count();
    assert!(requests > 10, "{requests} requests");
    assert_eq!(
        signed, requests,
        "a request went out without the session token"
    );
}

#[test]
fn wharfd_assumes_the_role_itself() {
    let sts = Sts::start();
    sts.authenticate();
    let key = format!("{}:{}", sts.value("key_id"), sts.value("secret"));
    let server = bridge(
        &sts,
        Some(&key),
        &[
            "--s3-credential",
            "assume-role",
            "--s3-role-arn",
            sts.value("role_arn"),
            "--s3-sts-endpoint",
            &sts.endpoint(),
        ],
    );
    exercise(&server);
    // The user's own key may only assume the role: S3 refuses it, so the
    // requests above went out with the role's credential.
    let direct = refused_start(
        &sts,
        &[],
        &[
            ("AWS_ACCESS_KEY_ID", sts.value("key_id")),
            ("AWS_SECRET_ACCESS_KEY", sts.value("secret")),
        ],
    );
    assert!(direct.contains("access denied"), "{direct}");
}

#[test]
fn a_refused_credential_stops_the_start_and_a_revoked_one_answers_550_with_a_reason() {
    let sts = Sts::start();
    sts.authenticate();
    // A wrong token for a known key: refused at start, saying why.
    let session = sts.value("session");
    let (pair, _) = session.rsplit_once(':').expect("key:secret:token");
    let (id, secret) = pair.split_once(':').expect("key:secret");
    let wrong = refused_start(
        &sts,
        &["--s3-credential", "session"],
        &[
            ("AWS_ACCESS_KEY_ID", id),
            ("AWS_SECRET_ACCESS_KEY", secret),
            ("AWS_SESSION_TOKEN", "FQoGZXIvYXdzEBYaDnot-the-token"),
        ],
    );
    assert!(wrong.contains("session token"), "{wrong}");

    // A working server whose credential moto then forgets (its reset drops
    // every assumed role): the next commands fail at once with the reason,
    // a command with 550, a listing (after its 150) with 451, and the
    // session goes on.
    let server = bridge(&sts, Some(session), &["--s3-credential", "session"]);
    let url = server.url();
    ok(&server, &["-Q", "MKD /box", &format!("{url}/")]);
    sts.api("/moto-api/reset", "");
    let started = std::time::Instant::now();
    let refused = curl(&["-Q", "MKD /other", &format!("{url}/")]);
    assert!(
        !refused.status.success(),
        "MKD with a revoked credential passed"
    );
    let conversation = refused.stderr_text();
    // MKD's and STOR's first requests are HEADs, whose answers have no
    // body to name the code: wharf-blob asks S3 why (one ListBuckets).
    assert!(
        conversation.contains(
            "< 550 /other: Permission denied: the S3 access key id is unknown to the store"
        ),
        "{conversation}"
    );
    let dir = tempfile::tempdir().expect("test set-up");
    let local = dir.path().join("f.bin");
    std::fs::write(&local, b"data").expect("test set-up");
    let upload = curl(&[
        "--ftp-method",
        "nocwd",
        "-T",
        local.to_str().expect("utf-8"),
        &format!("{url}/box/f.bin"),
    ]);
    assert!(
        !upload.status.success(),
        "STOR with a revoked credential passed"
    );
    let conversation = upload.stderr_text();
    assert!(
        conversation.contains(
            "< 550 /box/f.bin: Permission denied: the S3 access key id is unknown to the store"
        ),
        "{conversation}"
    );
    let listing = curl(&[&format!("{url}/")]).stderr_text();
    assert!(
        listing.contains(
            "< 451 /: transfer failed: permission denied: /: the S3 access key id is unknown"
        ),
        "{listing}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the refusal took {:?}",
        started.elapsed()
    );
}

#[test]
fn web_identity_assumes_the_role_with_the_token_file() {
    let sts = Sts::start();
    let translator = QueryToForm::start(sts.moto.port);
    let server = Server::builder()
        .file("token", "eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl")
        .args(&[
            "--storage",
            "s3://",
            "--s3-endpoint",
            &sts.endpoint(),
            "--s3-credential",
            "web-identity",
            "--s3-web-identity-token-file",
            "{base}/token",
        ])
        .env("AWS_ENDPOINT_URL_STS", &translator.url())
        .env("AWS_ROLE_ARN", sts.value("role_arn"))
        .env("AWS_ROLE_SESSION_NAME", "ftp-pod")
        .start();
    // moto answers AssumeRoleWithWebIdentity only with auth off; from
    // here on, S3 accepts only the credential that call returned.
    sts.authenticate();
    exercise(&server);
    let seen = translator.seen.lock().expect("not poisoned").join("\n");
    for part in [
        "Action=AssumeRoleWithWebIdentity",
        "WebIdentityToken=eyJhbGciOiJSUzI1NiJ9",
        "RoleSessionName=ftp-pod",
    ] {
        assert!(seen.contains(part), "{part} not in {seen}");
    }
}

#[test]
fn virtual_hosted_style_puts_the_bucket_in_the_host_name() {
    let sts = Sts::start();
    sts.authenticate();
    let proxy = Forwarder::start(sts.moto.port);
    let server = Server::builder()
        .file("storage.key", sts.value("session"))
        .args(&[
            "--storage",
            "s3://",
            "--s3-endpoint",
            "http://s3.amazonaws.com",
            "--s3-virtual-hosted",
            "--storage-key-file",
            "{base}/storage.key",
        ])
        .env("HTTP_PROXY", &proxy.url())
        .start();
    exercise(&server);
    let sent = proxy.sent();
    // Objects, markers and copies in the bucket's own host; ListBuckets
    // (the account view's root) at the service's.
    for line in [
        "PUT http://box.s3.amazonaws.com/ ",
        "PUT http://box.s3.amazonaws.com/dir/",
        "GET http://s3.amazonaws.com/ ",
    ] {
        assert!(
            sent.contains(line),
            "no {line:?} in {}",
            &sent[..sent.len().min(3000)]
        );
    }
    assert!(
        !sent.contains("s3.amazonaws.com/box"),
        "a path-style request went out"
    );
}

#[test]
fn the_instance_profile_comes_from_imdsv2() {
    // moto serves the metadata service (IMDSv2 token, role, credential)
    // on its own port; its credential is unknown to its IAM, so auth
    // stays off and the test shows the fetch and its use.
    let sts = Sts::start();
    let server = bridge(
        &sts,
        None,
        &[
            "--s3-credential",
            "instance-profile",
            "--s3-metadata-endpoint",
            &sts.endpoint(),
        ],
    );
    let url = server.url();
    ok(&server, &["-Q", "MKD /imds", &format!("{url}/")]);
    let top = String::from_utf8_lossy(&ok(&server, &[&format!("{url}/")])).into_owned();
    assert!(top.contains("imds"), "{top}");
    // Without a metadata service: refused at start, naming the source.
    let none = refused_start(
        &sts,
        &[
            "--s3-credential",
            "instance-profile",
            "--s3-metadata-endpoint",
            "http://127.0.0.1:9",
        ],
        &[],
    );
    assert!(none.contains("instance metadata"), "{none}");
}
