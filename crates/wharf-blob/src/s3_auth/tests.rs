use super::*;

fn connector() -> RingConnector {
    RingConnector {
        connect_timeout: Duration::from_secs(1),
        request_timeout: Some(Duration::from_secs(2)),
        stall_timeout: Duration::from_secs(2),
        roots: Vec::new(),
    }
}

#[tokio::test]
async fn keys_with_a_session_token_carry_it() {
    let auth = S3Auth::session("ASIAEXAMPLE", "secret", "the-token");
    let provider = auth
        .provider("us-east-1", &connector(), &RetryConfig::default())
        .unwrap();
    let credential = provider.get_credential().await.unwrap();
    assert_eq!(credential.token.as_deref(), Some("the-token"));
    assert_eq!(credential.key_id, "ASIAEXAMPLE");
}

#[tokio::test]
async fn an_unreachable_source_is_named_in_the_error() {
    // Nothing listens on port 9 of loopback: refused at once.
    let auth = S3Auth::InstanceProfile {
        metadata_endpoint: Some("http://127.0.0.1:9".to_string()),
    };
    let retry = RetryConfig {
        max_retries: 0,
        ..RetryConfig::default()
    };
    let provider = auth.provider("us-east-1", &connector(), &retry).unwrap();
    let err = provider.get_credential().await.unwrap_err();
    let unavailable = std::error::Error::source(&err)
        .and_then(|e| e.downcast_ref::<CredentialUnavailable>())
        .unwrap_or_else(|| panic!("not explained: {err:?}"));
    assert_eq!(unavailable.source_name, "the instance metadata service");
}

#[test]
fn debug_and_describe_hide_secrets() {
    let auth = S3Auth::AssumeRole(
        AssumeRole::new(
            S3Auth::session("AKIDEXAMPLE", "s3cr3t-key-value", "t0ken-value"),
            "arn:aws:iam::123456789012:role/ftp",
            "wharf",
        )
        .with_external_id("ext"),
    );
    for shown in [format!("{auth:?}"), auth.describe()] {
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("t0ken"),
            "{shown}"
        );
        assert!(shown.contains("AKIDEXAMPLE"), "{shown}");
        assert!(shown.contains("role/ftp"), "{shown}");
    }
}
