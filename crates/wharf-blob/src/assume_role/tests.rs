use std::sync::Mutex;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;
use crate::connector::RingConnector;
use crate::s3_auth::S3Auth;

/// An answer in the shape AWS documents for AssumeRole.
fn answer(expires: DateTime<Utc>, key: &str) -> String {
    format!(
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
         <AssumeRoleResult><SourceIdentity>DevUser123</SourceIdentity>\
         <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/demo/John</Arn>\
         <AssumedRoleId>ARO123EXAMPLE123:John</AssumedRoleId></AssumedRoleUser>\
         <Credentials><AccessKeyId>{key}</AccessKeyId>\
         <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>\
         <SessionToken>\n   AQoDYXdzEPT//////////wEXAMPLEtc764\n</SessionToken>\
         <Expiration>{}</Expiration></Credentials>\
         <PackedPolicySize>8</PackedPolicySize></AssumeRoleResult>\
         <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>\
         </AssumeRoleResponse>",
        expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )
}

const REFUSAL: &str = "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
    <Error><Type>Sender</Type><Code>AccessDenied</Code>\
    <Message>User: arn:aws:iam::123456789012:user/ftp is not authorized to perform: sts:AssumeRole</Message>\
    </Error><RequestId>4a8e1b0c</RequestId></ErrorResponse>";

#[test]
fn an_answer_gives_the_credential_and_its_expiry() {
    let expires = DateTime::parse_from_rfc3339("2030-11-09T13:34:41Z")
        .unwrap()
        .with_timezone(&Utc);
    let assumed =
        parse_response(StatusCode::OK, answer(expires, "ASIAEXAMPLE").as_bytes()).unwrap();
    assert_eq!(assumed.expires, expires);
    assert_eq!(assumed.credential.key_id, "ASIAEXAMPLE");
    assert_eq!(
        assumed.credential.secret_key,
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
    );
    // The token is trimmed of the white space a pretty-printed answer has.
    assert_eq!(
        assumed.credential.token.as_deref(),
        Some("AQoDYXdzEPT//////////wEXAMPLEtc764")
    );
    // moto writes fractional seconds.
    let moto = answer(expires, "ASIA1").replace("13:34:41Z", "13:34:41.123456Z");
    assert!(parse_response(StatusCode::OK, moto.as_bytes()).is_ok());
}

#[test]
fn an_error_answer_names_its_code_and_message() {
    let err = parse_response(StatusCode::FORBIDDEN, REFUSAL.as_bytes()).unwrap_err();
    let StsError::Refused { status, code, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(
        (*status, code.as_deref()),
        (StatusCode::FORBIDDEN, Some("AccessDenied"))
    );
    let text = err.to_string();
    assert!(
        text.contains("AccessDenied") && text.contains("not authorized"),
        "{text}"
    );
    // A status without a document still fails, with the status.
    let err = parse_response(StatusCode::BAD_GATEWAY, b"<html>bad gateway").unwrap_err();
    assert!(err.to_string().contains("502"), "{err}");
}

#[test]
fn answers_without_credentials_are_malformed() {
    for body in [
        "<AssumeRoleResponse><AssumeRoleResult/></AssumeRoleResponse>",
        "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId>\
         <SecretAccessKey>S</SecretAccessKey><SessionToken>T</SessionToken>\
         <Expiration>tomorrow</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>",
        "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId>\
         <SecretAccessKey>S</SecretAccessKey><SessionToken> </SessionToken>\
         <Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>",
        "not xml <",
    ] {
        let err = parse_response(StatusCode::OK, body.as_bytes()).unwrap_err();
        assert!(matches!(err, StsError::Malformed(_)), "{body}: {err:?}");
    }
}

#[test]
fn a_credential_is_renewed_five_minutes_before_it_expires() {
    let now = Utc::now();
    let minutes = |m: i64| now + chrono::Duration::minutes(m);
    assert!(fresh(minutes(60), now));
    assert!(fresh(minutes(6), now));
    assert!(!fresh(minutes(5), now));
    assert!(!fresh(minutes(4), now));
    assert!(!fresh(minutes(-1), now));
}

/// A loopback STS that answers each request with the next of `answers`
/// (the last one repeats) and keeps the requests it read.
struct FakeSts {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
}

impl FakeSts {
    async fn start(answers: Vec<(u16, String)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        tokio::spawn(async move {
            for n in 0.. {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                // Read the head, then the body its content-length gives.
                loop {
                    let read = stream.read(&mut buf).await.unwrap_or(0);
                    request.extend_from_slice(&buf[..read]);
                    let text = String::from_utf8_lossy(&request).to_lowercase();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length: "))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length {
                            break;
                        }
                    }
                    if read == 0 {
                        break;
                    }
                }
                seen.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&request).into_owned());
                let (status, body) = answers[n.min(answers.len() - 1)].clone();
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(reply.as_bytes()).await;
            }
        });
        Self { port, requests }
    }

    fn provider(&self) -> AssumeRoleProvider {
        let source = S3Auth::keys("AKIDSOURCE", "source-secret")
            .provider(
                "eu-west-1",
                &RingConnector {
                    connect_timeout: Duration::from_secs(2),
                    request_timeout: Some(Duration::from_secs(5)),
                    stall_timeout: Duration::from_secs(5),
                    roots: Vec::new(),
                },
                &object_store::RetryConfig::default(),
            )
            .unwrap();
        let http = RingConnector {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Some(Duration::from_secs(5)),
            stall_timeout: Duration::from_secs(5),
            roots: Vec::new(),
        }
        .client()
        .unwrap();
        let role = AssumeRole::new(
            S3Auth::keys("unused", "unused"),
            "arn:aws:iam::123456789012:role/ftp",
            "wharf session",
        )
        .with_external_id("ext-1")
        .with_duration(Duration::from_secs(900))
        .with_sts_endpoint(format!("http://127.0.0.1:{}", self.port));
        AssumeRoleProvider::new(source, HttpClient::new(http), role, "eu-west-1")
    }

    fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

#[tokio::test]
async fn the_request_is_a_signed_assume_role_form() {
    let expires = Utc::now() + chrono::Duration::hours(1);
    let sts = FakeSts::start(vec![(200, answer(expires, "ASIAONE"))]).await;
    let credential = sts.provider().get_credential().await.unwrap();
    assert_eq!(credential.key_id, "ASIAONE");
    let request = sts.requests.lock().unwrap()[0].clone();
    assert!(request.starts_with("POST / HTTP/1.1"), "{request}");
    for part in [
        "Action=AssumeRole",
        "Version=2011-06-15",
        "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fftp",
        "RoleSessionName=wharf%20session",
        "DurationSeconds=900",
        "ExternalId=ext-1",
        "Credential=AKIDSOURCE/",
        "/eu-west-1/sts/aws4_request",
    ] {
        assert!(request.contains(part), "{part} missing: {request}");
    }
    assert!(!request.contains("source-secret"), "{request}");
}

#[tokio::test]
async fn a_fresh_credential_is_reused_and_a_nearly_expired_one_renewed() {
    let now = Utc::now();
    let sts = FakeSts::start(vec![
        // Expires within the renewal margin: the next request renews.
        (200, answer(now + chrono::Duration::minutes(4), "ASIAFIRST")),
        (200, answer(now + chrono::Duration::hours(1), "ASIASECOND")),
    ])
    .await;
    let provider = sts.provider();
    assert_eq!(provider.get_credential().await.unwrap().key_id, "ASIAFIRST");
    assert_eq!(
        provider.get_credential().await.unwrap().key_id,
        "ASIASECOND"
    );
    assert_eq!(sts.count(), 2);
    // An hour left: no more calls.
    for _ in 0..3 {
        assert_eq!(
            provider.get_credential().await.unwrap().key_id,
            "ASIASECOND"
        );
    }
    assert_eq!(sts.count(), 2);
}

#[tokio::test]
async fn a_failed_renewal_keeps_a_still_valid_credential_and_fails_without_one() {
    let now = Utc::now();
    let sts = FakeSts::start(vec![
        (200, answer(now + chrono::Duration::minutes(3), "ASIAOLD")),
        (403, REFUSAL.to_string()),
    ])
    .await;
    let provider = sts.provider();
    assert_eq!(provider.get_credential().await.unwrap().key_id, "ASIAOLD");
    // Renewal refused, the old one still valid for three minutes.
    assert_eq!(provider.get_credential().await.unwrap().key_id, "ASIAOLD");
    assert_eq!(sts.count(), 2);

    let refused = FakeSts::start(vec![(403, REFUSAL.to_string())]).await;
    let err = refused.provider().get_credential().await.unwrap_err();
    assert!(err.to_string().contains("AccessDenied"), "{err}");
}
