//! Entra ID identities end to end: wharfd's `--storage` against Azurite in
//! OAuth mode (HTTPS with a test certificate, `--oauth basic`), its tokens
//! from a local stand-in for Entra ID and IMDS
//! (`support/token_service.rs`). Client secret and managed identity serve
//! transfers, listings, folders and containers; a refused or expired
//! token stops the server at start with a reason; a token revoked
//! mid-session gets `550` with a reason, never a hang.

use crate::support;

use std::process::Command;
use std::time::Duration;

use support::azurite::{ACCOUNT, AzuriteOAuth};
use support::token_service::{
    CLIENT_ID, CLIENT_SECRET, FEDERATED_TOKEN, Issue, TENANT, TokenService,
};
use support::{Server, curl, curl_ok, pattern, run};

/// wharfd flags for the account view of Azurite over HTTPS, trusting its
/// certificate, signing with `credential`.
fn storage_args(azurite: &AzuriteOAuth, credential: &str) -> Vec<String> {
    [
        "--storage",
        &format!("azure://{ACCOUNT}"),
        "--azure-endpoint",
        &azurite.endpoint(),
        "--storage-ca-file",
        &azurite.ca_file.display().to_string(),
        "--azure-credential",
        credential,
    ]
    .map(str::to_owned)
    .to_vec()
}

fn client_secret_args(azurite: &AzuriteOAuth, tokens: &TokenService) -> Vec<String> {
    let mut args = storage_args(azurite, "client-secret");
    args.extend(
        [
            "--azure-tenant-id",
            TENANT,
            "--azure-client-id",
            CLIENT_ID,
            "--azure-client-secret-file",
            "{base}/client.secret",
            "--azure-authority-host",
            &tokens.authority(),
        ]
        .map(str::to_owned),
    );
    args
}

fn start(args: &[String], env: &[(&str, &str)]) -> Server {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut builder = Server::builder()
        .file("client.secret", CLIENT_SECRET)
        .args(&args);
    for (key, value) in env {
        builder = builder.env(key, value);
    }
    builder.start()
}

/// Creates a container, uploads, lists, downloads, makes and removes a
/// folder, deletes the file and the container: every call signed with the
/// identity's tokens.
fn round_trip(server: &Server, container: &str) {
    let url = server.url();
    curl_ok(
        server,
        &["-Q", &format!("MKD /{container}"), &format!("{url}/")],
    );
    let listing =
        String::from_utf8(curl_ok(server, &["--list-only", &format!("{url}/")])).expect("utf-8");
    assert!(listing.lines().any(|l| l == container), "{listing}");
    let dir = tempfile::tempdir().expect("test set-up");
    let local = dir.path().join("f.bin");
    let data = pattern(300_000, 11);
    std::fs::write(&local, &data).expect("test set-up");
    let file = local.to_str().expect("utf-8");
    let remote = format!("{url}/{container}/f.bin");
    curl_ok(server, &["-T", file, &remote]);
    assert!(curl_ok(server, &[&remote]) == data, "the download differs");
    let folder = format!("/{container}/sub");
    curl_ok(
        server,
        &["-Q", &format!("MKD {folder}"), &format!("{url}/")],
    );
    let listing = String::from_utf8(curl_ok(
        server,
        &["--list-only", &format!("{url}/{container}/")],
    ))
    .expect("utf-8");
    let mut names: Vec<&str> = listing.lines().collect();
    names.sort_unstable();
    assert_eq!(names, ["f.bin", "sub"], "{listing}");
    curl_ok(
        server,
        &["-Q", &format!("RMD {folder}"), &format!("{url}/")],
    );
    curl_ok(
        server,
        &[
            "-Q",
            &format!("DELE /{container}/f.bin"),
            &format!("{url}/"),
        ],
    );
    curl_ok(
        server,
        &["-Q", &format!("RMD /{container}"), &format!("{url}/")],
    );
    let listing =
        String::from_utf8(curl_ok(server, &["--list-only", &format!("{url}/")])).expect("utf-8");
    assert!(!listing.lines().any(|l| l == container), "{listing}");
}

#[test]
fn a_client_secret_serves_transfers_folders_and_containers() {
    let azurite = AzuriteOAuth::start();
    let tokens = TokenService::start();
    let mut args = client_secret_args(&azurite, &tokens);
    args.push("--allow-container-public-access".into());
    let server = start(&args, &[]);
    round_trip(&server, "box");
    assert!(tokens.issued() > 0, "no token was fetched");
    // A container's public access takes Shared Key only: refused, with why.
    let url = server.url();
    curl_ok(&server, &["-Q", "MKD /open", &format!("{url}/")]);
    let chmod = curl(&["-Q", "SITE CHMOD 755 /open", &format!("{url}/")]);
    let said = chmod.stderr_text();
    assert!(
        said.contains("< 550 /open: Permission denied: an Entra ID token cannot change a container's public access"),
        "{said}"
    );
}

#[test]
fn a_managed_identity_serves_through_the_app_service_endpoint() {
    let azurite = AzuriteOAuth::start();
    let tokens = TokenService::start();
    // App Service's variables; the header's value is sent along.
    let imds = tokens.imds();
    let server = start(
        &storage_args(&azurite, "managed-identity"),
        &[("IDENTITY_ENDPOINT", &imds), ("IDENTITY_HEADER", "x")],
    );
    round_trip(&server, "data");
    assert!(tokens.issued() > 0, "no token was fetched");
}

#[test]
fn a_workload_identity_exchanges_its_federated_token() {
    let azurite = AzuriteOAuth::start();
    let tokens = TokenService::start();
    let authority = tokens.authority();
    let dir = tempfile::tempdir().expect("test set-up");
    let token_file = dir.path().join("federated.token");
    std::fs::write(&token_file, FEDERATED_TOKEN).expect("test set-up");
    let server = start(
        &storage_args(&azurite, "workload-identity"),
        &[
            ("AZURE_TENANT_ID", TENANT),
            ("AZURE_CLIENT_ID", CLIENT_ID),
            (
                "AZURE_FEDERATED_TOKEN_FILE",
                token_file.to_str().expect("utf-8"),
            ),
            ("AZURE_AUTHORITY_HOST", &authority),
        ],
    );
    let url = server.url();
    curl_ok(&server, &["-Q", "MKD /wlid", &format!("{url}/")]);
    let listing =
        String::from_utf8(curl_ok(&server, &["--list-only", &format!("{url}/")])).expect("utf-8");
    assert!(listing.lines().any(|l| l == "wlid"), "{listing}");
}

/// A token the service refuses, or one already expired, stops wharfd at
/// start (its first listing) with the reason.
#[test]
fn a_refused_or_expired_token_stops_the_server_at_start() {
    let azurite = AzuriteOAuth::start();
    let tokens = TokenService::start();
    let dir = tempfile::tempdir().expect("test set-up");
    std::fs::write(dir.path().join("client.secret"), CLIENT_SECRET).expect("test set-up");
    let base = dir.path().display().to_string();
    let args: Vec<String> = client_secret_args(&azurite, &tokens)
        .into_iter()
        .map(|a| a.replace("{base}", &base))
        .collect();
    let start = || {
        run(
            Command::new(env!("CARGO_BIN_EXE_wharfd"))
                .args(["--listen", "127.0.0.1:0", "--root"])
                .arg(dir.path().join("root"))
                .args(&args),
            Duration::from_secs(60),
        )
    };
    tokens.set(Issue::Refuse);
    let finished = start();
    assert!(!finished.status.success(), "started without a token");
    let said = finished.stderr_text();
    assert!(
        said.contains("could not get an access token: the token service answered 400 Bad Request"),
        "{said}"
    );
    tokens.set(Issue::Expired);
    let finished = start();
    assert!(!finished.status.success(), "started with an expired token");
    let said = finished.stderr_text();
    assert!(said.contains("(AuthenticationFailed)"), "{said}");
    assert!(said.contains("expired, was revoked"), "{said}");
}

/// The token service starts issuing expired tokens, then refuses, then
/// goes away: each command after a switch gets a reply with the reason
/// within seconds.
#[test]
fn a_token_revoked_mid_session_gets_550_with_a_reason() {
    let azurite = AzuriteOAuth::start();
    let tokens = TokenService::start();
    let server = start(&client_secret_args(&azurite, &tokens), &[]);
    let url = server.url();
    curl_ok(&server, &["-Q", "MKD /box", &format!("{url}/")]);
    let dir = tempfile::tempdir().expect("test set-up");
    let local = dir.path().join("f.bin");
    std::fs::write(&local, pattern(10_000, 3)).expect("test set-up");
    let file = local.to_str().expect("utf-8");
    curl_ok(&server, &["-T", file, &format!("{url}/box/f.bin")]);

    // Tokens live 60 s, so the next request asks for a new one.
    tokens.set(Issue::Expired);
    std::thread::sleep(Duration::from_millis(300));
    let started = std::time::Instant::now();
    let retr = curl(&[&format!("{url}/box/f.bin")]);
    assert!(!retr.status.success(), "a download with an expired token");
    let said = retr.stderr_text();
    assert!(said.contains("< 550 "), "{said}");
    assert!(said.contains("(AuthenticationFailed)"), "{said}");
    assert!(said.contains("revoked"), "{said}");

    tokens.set(Issue::Refuse);
    std::thread::sleep(Duration::from_millis(300));
    let mkd = curl(&["-Q", "MKD /box/new", &format!("{url}/")]);
    let said = mkd.stderr_text();
    assert!(
        said.contains("< 550 /box/new: Permission denied: the server's Azure identity could not get an access token: the token service answered 400 Bad Request"),
        "{said}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the refusals took {:?}",
        started.elapsed()
    );

    // The token service goes away: retried, then a reply with the reason.
    drop(tokens);
    let started = std::time::Instant::now();
    let list = curl(&["--list-only", &format!("{url}/box/")]);
    let said = list.stderr_text();
    assert!(!list.status.success(), "a listing without a token service");
    assert!(
        said.contains("the server's Azure identity could not get an access token"),
        "{said}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the refusal took {:?}",
        started.elapsed()
    );
}
