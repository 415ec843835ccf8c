use std::collections::HashMap;

use super::*;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| map.get(name).cloned()
}

fn identity(credential: Option<S3Credential>) -> S3Identity {
    S3Identity {
        credential,
        ..S3Identity::default()
    }
}

const KEYS: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "AKIDENV"),
    ("AWS_SECRET_ACCESS_KEY", "env-secret"),
];

#[test]
fn static_keys_come_from_the_key_file_or_the_environment_with_a_token_if_any() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key");
    std::fs::write(&file, "AKIDFILE:file-secret:file-token\n").unwrap();
    let auth = identity(None)
        .auth_from(Some(&file), &env_of(&KEYS))
        .unwrap();
    let S3Auth::Keys {
        access_key_id,
        secret_access_key,
        session_token,
    } = auth
    else {
        panic!("{auth:?}");
    };
    assert_eq!(
        (
            access_key_id.as_str(),
            secret_access_key.as_str(),
            session_token.as_deref()
        ),
        ("AKIDFILE", "file-secret", Some("file-token"))
    );
    let mut with_token = KEYS.to_vec();
    with_token.push(("AWS_SESSION_TOKEN", "env-token"));
    let auth = identity(Some(S3Credential::Session))
        .auth_from(None, &env_of(&with_token))
        .unwrap();
    assert!(
        matches!(&auth, S3Auth::Keys { session_token: Some(t), .. } if t == "env-token"),
        "{auth:?}"
    );
}

#[test]
fn a_session_without_a_token_and_keys_without_a_secret_are_refused() {
    let err = identity(Some(S3Credential::Session))
        .auth_from(None, &env_of(&KEYS))
        .unwrap_err();
    assert!(err.to_string().contains("session token"), "{err}");
    let err = identity(None)
        .auth_from(None, &env_of(&[("AWS_ACCESS_KEY_ID", "AKID")]))
        .unwrap_err();
    assert!(err.to_string().contains("AWS_SECRET_ACCESS_KEY"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key");
    std::fs::write(&file, "only-an-id").unwrap();
    assert!(identity(None).auth_from(Some(&file), &env_of(&[])).is_err());
}

#[test]
fn assume_role_takes_the_keys_as_source_and_settings_over_the_environment() {
    let mut env = KEYS.to_vec();
    env.extend([
        ("AWS_ROLE_ARN", "arn:aws:iam::1:role/env"),
        ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1"),
    ]);
    let settings = S3Identity {
        credential: Some(S3Credential::AssumeRole),
        role_arn: Some("arn:aws:iam::1:role/flag".into()),
        external_id: Some("ext".into()),
        ..S3Identity::default()
    };
    let S3Auth::AssumeRole(role) = settings.auth_from(None, &env_of(&env)).unwrap() else {
        panic!("not assume-role");
    };
    assert_eq!(role.role_arn, "arn:aws:iam::1:role/flag");
    assert_eq!(role.session_name, "wharfd");
    assert_eq!(role.external_id.as_deref(), Some("ext"));
    assert_eq!(role.sts_endpoint.as_deref(), Some("http://127.0.0.1:1"));
    assert!(matches!(*role.source, S3Auth::Keys { .. }));
    // Without a role anywhere: refused, naming where one goes.
    let err = identity(Some(S3Credential::AssumeRole))
        .auth_from(None, &env_of(&KEYS))
        .unwrap_err();
    assert!(err.to_string().contains("AWS_ROLE_ARN"), "{err}");
}

#[test]
fn web_identity_instance_profile_and_container_read_their_variables() {
    let env = env_of(&[
        ("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token"),
        ("AWS_ROLE_ARN", "arn:aws:iam::1:role/web"),
        ("AWS_ROLE_SESSION_NAME", "pod"),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:2"),
        (
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "/v2/credentials/x",
        ),
    ]);
    let auth = identity(Some(S3Credential::WebIdentity))
        .auth_from(None, &env)
        .unwrap();
    assert!(
        matches!(&auth, S3Auth::WebIdentity { token_file, role_arn, session_name, .. }
            if token_file == Path::new("/var/run/token") && role_arn.ends_with("/web") && session_name == "pod"),
        "{auth:?}"
    );
    let auth = identity(Some(S3Credential::InstanceProfile))
        .auth_from(None, &env)
        .unwrap();
    assert!(
        matches!(&auth, S3Auth::InstanceProfile { metadata_endpoint: Some(e) } if e == "http://127.0.0.1:2"),
        "{auth:?}"
    );
    let auth = identity(Some(S3Credential::Container))
        .auth_from(None, &env)
        .unwrap();
    assert!(
        matches!(&auth, S3Auth::Container { relative_uri } if relative_uri == "/v2/credentials/x")
    );
    assert!(
        identity(Some(S3Credential::WebIdentity))
            .auth_from(None, &env_of(&[]))
            .is_err()
    );
}

#[test]
fn the_config_file_names_the_credential_in_kebab_case() {
    let config = crate::config::Config::parse(
        "[s3]\ncredential = \"assume-role\"\nrole_arn = \"arn:aws:iam::1:role/r\"\nvirtual_hosted = true",
    )
    .unwrap();
    let identity = S3Identity::new(&config.s3);
    assert_eq!(identity.credential, Some(S3Credential::AssumeRole));
    assert_eq!(identity.addressing(), S3Addressing::VirtualHosted);
    assert!(crate::config::Config::parse("[s3]\ncredential = \"password\"").is_err());
}

#[test]
fn flags_beat_the_file_s_s3_identity() {
    use clap::Parser;

    use crate::config::Overlay;

    let mut config = crate::config::Config::parse(
        "[s3]\ncredential = \"assume-role\"\nrole_arn = \"arn:aws:iam::1:role/file\"\n\
         external_id = \"kept\"\nsts_endpoint = \"http://127.0.0.1:1\"",
    )
    .unwrap();
    let cli = crate::cli::Cli::parse_from([
        "wharfd",
        "--s3-credential",
        "web-identity",
        "--s3-role-arn",
        "arn:aws:iam::1:role/flag",
        "--s3-web-identity-token-file",
        "/run/token",
        "--s3-virtual-hosted",
    ]);
    config.overlay(cli.overlay());
    let identity = S3Identity::new(&config.s3);
    assert_eq!(identity.credential, Some(S3Credential::WebIdentity));
    assert_eq!(
        identity.role_arn.as_deref(),
        Some("arn:aws:iam::1:role/flag")
    );
    assert_eq!(identity.external_id.as_deref(), Some("kept"));
    assert_eq!(identity.sts_endpoint.as_deref(), Some("http://127.0.0.1:1"));
    assert_eq!(identity.addressing(), S3Addressing::VirtualHosted);
}
