//! A home signed by an Entra ID identity of `[credentials.NAME]`
//! (`kind = "azure-identity"`, a client secret), against Azurite in OAuth
//! mode and the local token service: wharfd has no `--azure-credential`,
//! so only the table's identity can sign the home. The upload lands
//! under the user's prefix, seen through a second server's account view.

use crate::support;

use support::azurite::{ACCOUNT, AzuriteOAuth};
use support::token_service::{CLIENT_ID, CLIENT_SECRET, TENANT, TokenService};
use support::{Server, assert_success, curl_as, write_file};

const CONFIG: &str = r#"
storage_ca_file = "{ca}"

[azure]
endpoint = "{endpoint}"

[credentials.app]
kind = "azure-identity"
credential = "client-secret"
tenant_id = "{tenant}"
client_id = "{client}"
client_secret_file = "client.secret"
authority_host = "{authority}"
"#;

const USERS: &str = r#"
[[user]]
name = "ann"
password = "ann-pw"
home = "azure://app@{account}/homes/users/{user}"
"#;

#[test]
fn a_home_is_signed_by_the_entra_identity_of_its_credentials() {
    let azurite = AzuriteOAuth::start();
    let tokens = TokenService::start();
    let ca = azurite.ca_file.display().to_string();
    // The account view, signed by the same app, makes the container.
    let account = Server::builder()
        .file("client.secret", CLIENT_SECRET)
        .args(&[
            "--storage",
            &format!("azure://{ACCOUNT}"),
            "--azure-endpoint",
            &azurite.endpoint(),
            "--storage-ca-file",
            &ca,
            "--azure-credential",
            "client-secret",
            "--azure-tenant-id",
            TENANT,
            "--azure-client-id",
            CLIENT_ID,
            "--azure-client-secret-file",
            "{base}/client.secret",
            "--azure-authority-host",
            &tokens.authority(),
        ])
        .start();
    let user = format!("{}:{}", support::USER, support::PASSWORD);
    let made = curl_as(&user, &["-Q", "MKD /homes", &format!("{}/", account.url())]);
    assert_success(&made, &account);
    let before = tokens.issued();

    let config = CONFIG
        .replace("{ca}", &ca)
        .replace("{endpoint}", &azurite.endpoint())
        .replace("{tenant}", TENANT)
        .replace("{client}", CLIENT_ID)
        .replace("{authority}", &tokens.authority());
    let server = Server::builder()
        .file("client.secret", CLIENT_SECRET)
        .config(&config)
        .file("users.toml", &USERS.replace("{account}", ACCOUNT))
        .args(&["--users", "{base}/users.toml"])
        .start();
    assert!(
        tokens.issued() > before,
        "the home's start-up listing fetched no token\n{}",
        server.log_tail()
    );
    let local = tempfile::tempdir().expect("tempdir");
    let file = write_file(local.path(), "a.txt", b"ann's");
    let url = format!("{}/a.txt", server.url());
    let stored = curl_as("ann:ann-pw", &["-T", file.to_str().expect("utf-8"), &url]);
    assert_success(&stored, &server);
    let listing = curl_as(
        &user,
        &[
            "--list-only",
            &format!("{}/homes/users/ann/", account.url()),
        ],
    );
    assert_success(&listing, &account);
    assert_eq!(listing.stdout_text(), "a.txt\n");
}
