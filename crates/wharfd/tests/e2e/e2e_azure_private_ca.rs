//! `--storage-ca-file` for every store wharfd opens, not only `--storage`:
//! Azurite over HTTPS with a certificate of the test's own making, which
//! no system root signs, holding the served container, the fleet's shared
//! state and the accounts a pass-through login reaches. A store that did
//! not trust the file would fail its TLS handshake: the shared state at
//! start (wharfd reads its ban list once and stops), a pass-through login
//! with `530`.

use crate::support;

use support::azurite::{ACCOUNT, AzuriteOAuth, KEY};
use support::token_service::{CLIENT_ID, CLIENT_SECRET, TENANT, TokenService};
use support::{Server, curl_ok, pattern};

/// wharfd on `storage` in Azurite, signing with a client secret from the
/// token service, trusting Azurite's certificate, plus `extra`.
fn entra_server(
    azurite: &AzuriteOAuth,
    tokens: &TokenService,
    storage: &str,
    extra: &[&str],
) -> Server {
    let ca = azurite.ca_file.display().to_string();
    Server::builder()
        .file("client.secret", CLIENT_SECRET)
        .args(&[
            "--storage",
            storage,
            "--azure-endpoint",
            &azurite.endpoint(),
        ])
        .args(&[
            "--storage-ca-file",
            &ca,
            "--azure-credential",
            "client-secret",
        ])
        .args(&["--azure-tenant-id", TENANT, "--azure-client-id", CLIENT_ID])
        .args(&["--azure-client-secret-file", "{base}/client.secret"])
        .args(&["--azure-authority-host", &tokens.authority()])
        .args(extra)
        .start()
}

/// What the client sees: a server whose shared state lives in a second
/// container of the same HTTPS Azurite starts and serves an upload and a
/// download of its own container; a pass-through server in front of that
/// Azurite logs the account in (its key as the password) and lists both
/// containers. Both trust Azurite only through `--storage-ca-file`.
#[test]
fn the_shared_state_and_pass_through_logins_trust_the_storage_ca_file() {
    let azurite = AzuriteOAuth::start();
    let tokens = TokenService::start();
    let setup = entra_server(&azurite, &tokens, &format!("azure://{ACCOUNT}"), &[]);
    for container in ["box", "fleet"] {
        curl_ok(
            &setup,
            &[
                "-Q",
                &format!("MKD /{container}"),
                &format!("{}/", setup.url()),
            ],
        );
    }
    drop(setup);

    let shared = format!("azure://{ACCOUNT}/fleet/state");
    let server = entra_server(
        &azurite,
        &tokens,
        &format!("azure://{ACCOUNT}/box"),
        &["--shared-state", &shared],
    );
    let dir = tempfile::tempdir().expect("test set-up");
    let local = dir.path().join("f.bin");
    let data = pattern(200_000, 5);
    std::fs::write(&local, &data).expect("test set-up");
    let remote = format!("{}/f.bin", server.url());
    curl_ok(&server, &["-T", local.to_str().expect("utf-8"), &remote]);
    assert!(curl_ok(&server, &[&remote]) == data, "the download differs");

    let ca = azurite.ca_file.display().to_string();
    let bridge = Server::builder()
        .args(&[
            "--azure-passthrough",
            "--azure-endpoint",
            &azurite.endpoint(),
        ])
        .args(&["--storage-ca-file", &ca])
        // Loopback only: the key may cross it in clear.
        .args(&["--allow-account-keys-in-clear"])
        .start();
    let account = format!("{ACCOUNT}:{KEY}");
    let listing = curl_ok(
        &bridge,
        &[
            "--user",
            &account,
            "--list-only",
            &format!("{}/", bridge.url()),
        ],
    );
    let listing = String::from_utf8_lossy(&listing);
    let mut names: Vec<&str> = listing.lines().collect();
    names.sort_unstable();
    assert_eq!(names, ["box", "fleet"], "{listing}");
}
