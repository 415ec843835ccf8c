//! moto's STS and IAM for the S3 identity tests (`e2e_s3_sts.rs`): moto
//! with a user, a role and their policies set up by boto3 from moto's own
//! venv, its authentication switch, and two loopback stand-ins for what
//! moto lacks ([`QueryToForm`], [`Forwarder`]).

use std::collections::HashMap;
use std::io::Write;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::azurite::Moto;
use super::run;

const TIMEOUT: Duration = Duration::from_secs(60);

/// Sets up IAM in moto (auth off) and prints `name value` lines: a user
/// `ftp` with a key that may assume role `ftp-role`, the role (S3 only),
/// one credential assumed by the test itself, and GetSessionToken's.
const SETUP: &str = r#"
import json, sys, boto3
endpoint = sys.argv[1]
kw = dict(endpoint_url=endpoint, region_name="us-east-1",
          aws_access_key_id="setup", aws_secret_access_key="setup")
iam = boto3.client("iam", **kw)
sts = boto3.client("sts", **kw)
def policy(action, principal=None):
    statement = {"Effect": "Allow", "Action": action}
    if principal:
        statement["Principal"] = principal
    else:
        statement["Resource"] = "*"
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})
user = iam.create_user(UserName="ftp")["User"]
key = iam.create_access_key(UserName="ftp")["AccessKey"]
iam.put_user_policy(UserName="ftp", PolicyName="assume", PolicyDocument=policy("sts:AssumeRole"))
role = iam.create_role(RoleName="ftp-role",
                       AssumeRolePolicyDocument=policy("sts:*", {"AWS": user["Arn"]}))["Role"]
iam.put_role_policy(RoleName="ftp-role", PolicyName="s3", PolicyDocument=policy("s3:*"))
assumed = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="test")["Credentials"]
print("key_id", key["AccessKeyId"])
print("secret", key["SecretAccessKey"])
print("role_arn", role["Arn"])
print("session", assumed["AccessKeyId"] + ":" + assumed["SecretAccessKey"] + ":" + assumed["SessionToken"])
fixed = sts.get_session_token()["Credentials"]
print("get_session_token", fixed["AccessKeyId"] + ":" + fixed["SecretAccessKey"] + ":" + fixed["SessionToken"])
"#;

/// POSTs `body` to moto's `path` (its control API). As text: moto reads
/// a form body as empty.
const MOTO_API: &str = r#"
import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + sys.argv[2], data=sys.argv[3].encode(),
                                             headers={"content-type": "text/plain"}, method="POST")).read()
"#;

/// moto with IAM users and roles set up.
pub(crate) struct Sts {
    pub(crate) moto: Moto,
    values: HashMap<String, String>,
}

fn python() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools/moto/bin/python")
}

impl Sts {
    pub(crate) fn start() -> Self {
        let moto = Moto::start();
        let endpoint = format!("http://127.0.0.1:{}", moto.port);
        let finished = run(
            Command::new(python()).args(["-c", SETUP, &endpoint]),
            TIMEOUT,
        );
        assert!(finished.status.success(), "setup: {}", finished.report());
        let values = finished
            .stdout_text()
            .lines()
            .filter_map(|line| line.split_once(' '))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Self { moto, values }
    }

    pub(crate) fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.moto.port)
    }

    pub(crate) fn value(&self, name: &str) -> &str {
        self.values
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// Turns moto's authentication on: from now on every request must be
    /// signed by a key it knows.
    pub(crate) fn authenticate(&self) {
        self.api("/moto-api/reset-auth", "0");
    }

    pub(crate) fn api(&self, path: &str, body: &str) {
        let finished = run(
            Command::new(python()).args(["-c", MOTO_API, &self.endpoint(), path, body]),
            TIMEOUT,
        );
        assert!(finished.status.success(), "{path}: {}", finished.report());
    }
}

/// A loopback HTTP proxy that hands every connection to moto unchanged
/// (moto reads the absolute URL and the `Host` header a proxy client
/// sends), keeping what clients sent.
pub(crate) struct Forwarder {
    port: u16,
    sent: Arc<Mutex<Vec<u8>>>,
}

impl Forwarder {
    pub(crate) fn start(target: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("test set-up");
        let port = listener.local_addr().expect("test set-up").port();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&sent);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let (Ok(client), Ok(server)) = (client, TcpStream::connect(("127.0.0.1", target)))
                else {
                    return;
                };
                let (Ok(mut client_in), Ok(mut server_out)) =
                    (client.try_clone(), server.try_clone())
                else {
                    return;
                };
                let kept = Arc::clone(&kept);
                std::thread::spawn(move || {
                    let mut buf = [0u8; 64 * 1024];
                    while let Ok(n) = std::io::Read::read(&mut client_in, &mut buf) {
                        if n == 0 || server_out.write_all(&buf[..n]).is_err() {
                            break;
                        }
                        kept.lock()
                            .expect("not poisoned")
                            .extend_from_slice(&buf[..n]);
                    }
                    let _ = server_out.shutdown(Shutdown::Write);
                });
                let (mut server_in, mut client_out) = (server, client);
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut server_in, &mut client_out);
                    let _ = client_out.shutdown(Shutdown::Write);
                });
            }
        });
        Self { port, sent }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What clients sent so far, as text.
    pub(crate) fn sent(&self) -> String {
        String::from_utf8_lossy(&self.sent.lock().expect("not poisoned")).into_owned()
    }
}

/// A loopback STS in front of moto for unsigned calls: each connection's
/// one request `POST /?PARAMS` is sent on as `POST /` with `PARAMS` as a
/// form body, and moto's answer comes back. Keeps the parameters seen.
pub(crate) struct QueryToForm {
    port: u16,
    pub(crate) seen: Arc<Mutex<Vec<String>>>,
}

impl QueryToForm {
    pub(crate) fn start(target: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("test set-up");
        let port = listener.local_addr().expect("test set-up").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&seen);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(mut client) = client else { return };
                let _ = client.set_read_timeout(Some(Duration::from_secs(10)));
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n")
                    && std::io::Read::read(&mut client, &mut byte).is_ok_and(|n| n == 1)
                {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let query = head
                    .lines()
                    .next()
                    .and_then(|line| line.split(' ').nth(1))
                    .and_then(|target| target.split_once('?'))
                    .map(|(_, query)| query.to_owned())
                    .unwrap_or_default();
                kept.lock().expect("not poisoned").push(query.clone());
                let Ok(mut moto) = TcpStream::connect(("127.0.0.1", target)) else {
                    return;
                };
                let request = format!(
                    "POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{query}",
                    query.len()
                );
                if moto.write_all(request.as_bytes()).is_ok() {
                    let _ = std::io::copy(&mut moto, &mut client);
                }
                let _ = client.shutdown(Shutdown::Both);
            }
        });
        Self { port, seen }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}
