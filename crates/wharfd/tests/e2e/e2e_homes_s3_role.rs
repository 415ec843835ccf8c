//! A home signed by an S3 role of `[credentials.NAME]` (`kind =
//! "s3-identity"`, `credential = "assume-role"`), against moto's STS with
//! its authentication on: the table's source key may only assume the
//! role, so the upload that lands under the user's prefix (read back from
//! moto once its authentication is off again) went out under the role.

use crate::support;

use std::process::Command;
use std::time::Duration;

use support::moto_sts::Sts;
use support::{Server, assert_success, curl_as, run, write_file};

const CURL_TIMEOUT: Duration = Duration::from_secs(30);

const CONFIG: &str = r#"
[s3]
endpoint = "{endpoint}"
region = "us-east-1"

[credentials.role]
kind = "s3-identity"
credential = "assume-role"
role_arn = "{role_arn}"
file = "source.keys"
sts_endpoint = "{endpoint}"
"#;

const USERS: &str = r#"
[[user]]
name = "rae"
password = "rae-pw"
home = "s3://role@homes/users/{user}"
"#;

/// `method` on moto's `path` signed by the key `KEY_ID:SECRET`: the
/// status and the body.
fn moto(sts: &Sts, key: &str, method: &str, path: &str) -> (String, String) {
    let out = run(
        Command::new("curl")
            .args(["-sS", "-X", method, "-w", "\n%{http_code}"])
            .arg(format!("{}/{path}", sts.endpoint()))
            .args(["--aws-sigv4", "aws:amz:us-east-1:s3", "--user", key]),
        CURL_TIMEOUT,
    )
    .stdout_text();
    let (body, status) = out.rsplit_once('\n').unwrap_or(("", &out));
    (status.to_owned(), body.to_owned())
}

#[test]
fn a_home_is_signed_by_the_role_of_its_credentials() {
    let sts = Sts::start();
    let source = format!("{}:{}", sts.value("key_id"), sts.value("secret"));
    assert_eq!(moto(&sts, "any:key", "PUT", "homes").0, "200");
    sts.authenticate();
    let config = CONFIG
        .replace("{endpoint}", &sts.endpoint())
        .replace("{role_arn}", sts.value("role_arn"));
    let server = Server::builder()
        .file("source.keys", &source)
        .config(&config)
        .file("users.toml", USERS)
        .args(&["--users", "{base}/users.toml"])
        .start();
    let local = tempfile::tempdir().expect("tempdir");
    let file = write_file(local.path(), "r.txt", b"rae's");
    let url = format!("{}/r.txt", server.url());
    let stored = curl_as("rae:rae-pw", &["-T", file.to_str().expect("utf-8"), &url]);
    assert_success(&stored, &server);
    // The source key itself may not touch S3: the upload went out under
    // the role.
    let direct = moto(&sts, &source, "GET", "homes/users/rae/r.txt");
    assert_eq!(direct.0, "403", "{direct:?}");
    // Authentication off again (moto lets that many requests through
    // unchecked), to read the object back.
    sts.api("/moto-api/reset-auth", "1000");
    assert_eq!(
        moto(&sts, "any:key", "GET", "homes/users/rae/r.txt"),
        ("200".to_owned(), "rae's".to_owned())
    );
}
