//! Azure identities other than the account key, end to end against
//! Azurite (which checks SAS signatures and permissions), driven by curl:
//! `--storage` with a SAS token in the key file, connection strings (in
//! the file and in the environment), and the bridge with a SAS token as
//! the password. Refusals must be `550`s that name the missing permission;
//! an expired token stops the server at start, or gets `530` at login.

use crate::support;

use std::process::Command;
use std::time::Duration;

use support::azurite::{ACCOUNT, Azurite, KEY};
use support::{PASSWORD, Server, USER, pattern, require_tool, run};
use wharf_test_support::sas::{account_sas, an_hour_ago, container_sas, in_an_hour};

const CURL_TIMEOUT: Duration = Duration::from_secs(60);

/// curl logged in as `credentials` with `args`, finished or not.
fn curl(credentials: &str, args: &[&str]) -> support::Finished {
    require_tool("curl", "curl");
    run(
        Command::new("curl")
            .args(["-sS", "-v", "-u", credentials])
            .args(args),
        CURL_TIMEOUT,
    )
}

/// [`curl`], which must succeed; its stdout.
fn curl_ok(credentials: &str, server: &Server, args: &[&str]) -> Vec<u8> {
    let finished = curl(credentials, args);
    assert!(
        finished.status.success(),
        "curl {args:?} failed\n{}\n{}",
        finished.report(),
        server.log_tail()
    );
    finished.stdout
}

/// Creates `container` in Azurite with an account SAS (no key involved).
fn create_container(azurite: &Azurite, container: &str) {
    let token = account_sas(ACCOUNT, KEY, "rwdlac", "sco", &in_an_hour());
    let url = format!(
        "http://127.0.0.1:{}/{ACCOUNT}/{container}?restype=container&{token}",
        azurite.port
    );
    let finished = run(
        Command::new("curl").args(["-sS", "-f", "-X", "PUT", "-H", "Content-Length: 0", &url]),
        CURL_TIMEOUT,
    );
    assert!(finished.status.success(), "{}", finished.report());
}

/// A server serving `storage` to the harness's user, the credential in a
/// file.
fn storage_server(azurite: &Azurite, storage: &str, credential: &str) -> Server {
    Server::builder()
        .file("storage.key", credential)
        .args(&[
            "--storage",
            storage,
            "--storage-key-file",
            "{base}/storage.key",
            "--azure-endpoint",
            &azurite.endpoint(),
        ])
        .start()
}

fn user() -> String {
    format!("{USER}:{PASSWORD}")
}

#[test]
fn storage_with_a_container_sas_serves_what_it_grants_and_names_what_it_lacks() {
    let azurite = Azurite::start();
    create_container(&azurite, "box");
    let storage = format!("azure://{ACCOUNT}/box");
    let full = container_sas(ACCOUNT, KEY, "box", "racwdl", &in_an_hour());
    let server = storage_server(&azurite, &storage, &full);
    let dir = tempfile::tempdir().expect("test set-up");
    let local = dir.path().join("f.bin");
    let data = pattern(300_000, 7);
    std::fs::write(&local, &data).expect("test set-up");
    let url = server.url();
    let file = local.to_str().expect("utf-8");
    curl_ok(&user(), &server, &["-T", file, &format!("{url}/f.bin")]);
    assert!(curl_ok(&user(), &server, &[&format!("{url}/f.bin")]) == data);

    // Read and list only: downloads work, STOR and DELE are refused by name.
    let read_list = container_sas(ACCOUNT, KEY, "box", "rl", &in_an_hour());
    let server = storage_server(&azurite, &storage, &read_list);
    let url = server.url();
    assert!(curl_ok(&user(), &server, &[&format!("{url}/f.bin")]) == data);
    let stor = curl(&user(), &["-T", file, &format!("{url}/g.bin")]);
    assert!(!stor.status.success(), "STOR with a read-only token");
    let said = stor.stderr_text();
    assert!(
        said.contains("< 550 /g.bin: Permission denied: the SAS token lacks write (w) permission"),
        "{said}"
    );
    let dele = curl(&user(), &["-Q", "DELE /f.bin", &format!("{url}/")]);
    assert!(
        dele.stderr_text()
            .contains("< 550 /f.bin: Permission denied: the SAS token lacks delete (d) permission"),
        "{}",
        dele.stderr_text()
    );
}

/// A container SAS cannot serve the account view: wharfd says so at start,
/// and so it does for an expired token.
#[test]
fn a_sas_that_cannot_serve_stops_the_server_at_start() {
    let azurite = Azurite::start();
    create_container(&azurite, "box");
    let dir = tempfile::tempdir().expect("test set-up");
    let start = |storage: &str, token: &str| {
        let key = dir.path().join("token");
        std::fs::write(&key, token).expect("test set-up");
        run(
            Command::new(env!("CARGO_BIN_EXE_wharfd"))
                .args(["--listen", "127.0.0.1:0", "--storage", storage])
                .arg("--storage-key-file")
                .arg(&key)
                .args(["--azure-endpoint", &azurite.endpoint()])
                .arg("--root")
                .arg(dir.path().join("root")),
            Duration::from_secs(60),
        )
    };
    let expiry = an_hour_ago();
    let expired = container_sas(ACCOUNT, KEY, "box", "racwdl", &expiry);
    let finished = start(&format!("azure://{ACCOUNT}/box"), &expired);
    assert!(!finished.status.success(), "started with an expired token");
    assert!(
        finished
            .stderr_text()
            .contains(&format!("the SAS token expired at {expiry}")),
        "{}",
        finished.stderr_text()
    );
    let container = container_sas(ACCOUNT, KEY, "box", "racwdl", &in_an_hour());
    let finished = start(&format!("azure://{ACCOUNT}"), &container);
    assert!(
        !finished.status.success(),
        "a container SAS served the account"
    );
    assert!(
        finished.stderr_text().contains("cannot list containers"),
        "{}",
        finished.stderr_text()
    );
}

/// The portal's two forms of connection string: with a SAS in the key
/// file (its endpoint replaces --azure-endpoint, which is not given), and
/// with the account key in the environment.
#[test]
fn connection_strings_configure_the_store() {
    let azurite = Azurite::start();
    let endpoint = format!("http://127.0.0.1:{}/{ACCOUNT}", azurite.port);
    let token = account_sas(ACCOUNT, KEY, "rwdlac", "sco", &in_an_hour());
    let with_sas = format!("BlobEndpoint={endpoint};SharedAccessSignature={token}");
    let server = Server::builder()
        .file("storage.key", &with_sas)
        .args(&[
            "--storage",
            &format!("azure://{ACCOUNT}"),
            "--storage-key-file",
            "{base}/storage.key",
        ])
        .start();
    let url = server.url();
    curl_ok(&user(), &server, &["-Q", "MKD /strung", &format!("{url}/")]);
    let dir = tempfile::tempdir().expect("test set-up");
    let local = dir.path().join("f.bin");
    let data = pattern(70_000, 9);
    std::fs::write(&local, &data).expect("test set-up");
    curl_ok(
        &user(),
        &server,
        &[
            "-T",
            local.to_str().expect("utf-8"),
            &format!("{url}/strung/f.bin"),
        ],
    );
    // SITE CHMOD on a container needs the account key, whatever the SAS.
    let chmod = Server::builder()
        .file("storage.key", &with_sas)
        .args(&[
            "--storage",
            &format!("azure://{ACCOUNT}"),
            "--storage-key-file",
            "{base}/storage.key",
            "--allow-container-public-access",
        ])
        .start();
    let said = curl(
        &user(),
        &["-Q", "SITE CHMOD 755 /strung", &format!("{}/", chmod.url())],
    );
    assert!(
        said.stderr_text().contains(
            "< 550 /strung: Permission denied: no SAS token may change a container's public access"
        ),
        "{}",
        said.stderr_text()
    );

    let with_key = format!(
        "DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};BlobEndpoint={endpoint};"
    );
    let server = Server::builder()
        .env("AZURE_STORAGE_CONNECTION_STRING", &with_key)
        .args(&["--storage", &format!("azure://{ACCOUNT}/strung")])
        .start();
    assert!(curl_ok(&user(), &server, &[&format!("{}/f.bin", server.url())]) == data);
}

/// The bridge with a SAS token as the password, over FTPS (logins need
/// TLS) and for a listed account only.
fn bridge(azurite: &Azurite, extra: &[&str]) -> Server {
    Server::builder()
        .tls()
        .args(extra)
        .args(&[
            "--tls-required",
            "login",
            "--azure-passthrough",
            "--azure-endpoint",
            &azurite.endpoint(),
            "--azure-accounts",
            ACCOUNT,
            // The throwaway certificate of a test; the risk is accepted.
            "--allow-account-keys-in-clear",
        ])
        .start()
}

/// curl over explicit FTPS, trusting the throwaway certificate.
fn ftps(credentials: &str, args: &[&str]) -> support::Finished {
    let mut all = vec!["--ssl-reqd", "-k"];
    all.extend_from_slice(args);
    curl(credentials, &all)
}

#[test]
fn passthrough_takes_a_sas_token_as_the_password() {
    let azurite = Azurite::start();
    let server = bridge(&azurite, &[]);
    let url = server.url();
    let full = account_sas(ACCOUNT, KEY, "rwdlac", "sco", &in_an_hour());
    let as_account = format!("{ACCOUNT}:{full}");
    let finished = ftps(&as_account, &["-Q", "MKD /drop", &format!("{url}/")]);
    assert!(
        finished.status.success(),
        "{}\n{}",
        finished.report(),
        server.log_tail()
    );
    let dir = tempfile::tempdir().expect("test set-up");
    let local = dir.path().join("f.bin");
    let data = pattern(50_000, 11);
    std::fs::write(&local, &data).expect("test set-up");
    let file = local.to_str().expect("utf-8");
    let put = ftps(&as_account, &["-T", file, &format!("{url}/drop/f.bin")]);
    assert!(put.status.success(), "{}", put.report());
    let listing = ftps(&as_account, &[&format!("{url}/drop/")]);
    assert!(
        listing.stdout_text().contains("f.bin"),
        "{}",
        listing.report()
    );

    // A container SAS, read and list: ACCOUNT/CONTAINER logs in to that
    // container; STOR is refused by name, RETR works.
    let read_list = container_sas(ACCOUNT, KEY, "drop", "rl", &in_an_hour());
    let as_container = format!("{ACCOUNT}/drop:?{read_list}");
    let get = ftps(&as_container, &[&format!("{url}/f.bin")]);
    assert!(
        get.status.success() && get.stdout == data,
        "{}",
        get.report()
    );
    let stor = ftps(&as_container, &["-T", file, &format!("{url}/g.bin")]);
    assert!(
        stor.stderr_text()
            .contains("< 550 /g.bin: Permission denied: the SAS token lacks write (w) permission"),
        "{}",
        stor.report()
    );

    // Refused at login (530, curl's 67): an expired token, a container
    // SAS without its container, a token for another container, and any
    // login without TLS.
    let expired = container_sas(ACCOUNT, KEY, "drop", "rl", &an_hour_ago());
    let other = container_sas(ACCOUNT, KEY, "elsewhere", "rl", &in_an_hour());
    for credentials in [
        format!("{ACCOUNT}/drop:{expired}"),
        format!("{ACCOUNT}:{read_list}"),
        format!("{ACCOUNT}/drop:{other}"),
    ] {
        let refused = ftps(&credentials, &[&format!("{url}/")]);
        assert_eq!(refused.status.code(), Some(67), "{}", refused.report());
    }
    let clear = curl(&as_account, &[&format!("{url}/")]);
    assert!(
        !clear.status.success(),
        "a login without TLS: {}",
        clear.report()
    );
    let log = server.log_text();
    assert!(log.contains("the SAS token expired at"), "the log says why");
    let signature = full.split("sig=").nth(1).expect("signed");
    assert!(!log.contains(signature), "a token reached the log");
}

/// One FTPS session of Python's ftplib with a container SAS that expires a
/// few seconds after login: a refused STOR leaves the session working,
/// and once the token has expired every verb is refused at once with a
/// `550` that says so, before any `150`.
const EXPIRING_SESSION: &str = r#"
import ftplib, io, ssl, sys, time
host, port, user, password, wait = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5])
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
ftp = ftplib.FTP_TLS(context=context, timeout=30)
ftp.connect(host, port)
ftp.login(user, password)
ftp.prot_p()
print("names", ftp.nlst())
data = io.BytesIO()
ftp.retrbinary("RETR f.bin", data.write)
print("retr", len(data.getvalue()))
try:
    ftp.storbinary("STOR g.bin", io.BytesIO(b"x"))
    print("stor accepted")
except ftplib.error_perm as e:
    print("stor", e)
print("names again", ftp.nlst())
time.sleep(wait)
started = time.monotonic()
for verb in ("NLST", "RETR f.bin"):
    try:
        if verb == "NLST":
            ftp.nlst()
        else:
            ftp.retrbinary(verb, io.BytesIO().write)
        print(verb, "accepted")
    except ftplib.Error as e:
        print(verb, e)
    except (ssl.SSLError, OSError, EOFError):
        # Should a listing be refused after its 150, the data connection
        # ends and the final reply says why.
        try:
            ftp.voidresp()
        except ftplib.Error as e:
            print(verb, e)
print("seconds", round(time.monotonic() - started, 1))
ftp.quit()
"#;

#[test]
fn passthrough_session_with_a_token_that_expires_meanwhile() {
    require_tool("python3", "python3");
    let azurite = Azurite::start();
    create_container(&azurite, "live");
    // Stock FTP_TLS opens a fresh TLS session per data connection.
    let server = bridge(&azurite, &["--tls-reuse-required", "false"]);
    // A file to read, written with a full account SAS.
    let full = account_sas(ACCOUNT, KEY, "rwdlac", "sco", &in_an_hour());
    let dir = tempfile::tempdir().expect("test set-up");
    let local = dir.path().join("f.bin");
    std::fs::write(&local, pattern(1000, 5)).expect("test set-up");
    let put = ftps(
        &format!("{ACCOUNT}:{full}"),
        &[
            "-T",
            local.to_str().expect("utf-8"),
            &format!("{}/live/f.bin", server.url()),
        ],
    );
    assert!(put.status.success(), "{}", put.report());
    let expiry = wharf_test_support::sas::expiry_in(Duration::from_secs(4), false);
    let token = container_sas(ACCOUNT, KEY, "live", "rl", &expiry);
    let finished = run(
        Command::new("python3")
            .args(["-c", EXPIRING_SESSION, "127.0.0.1"])
            .arg(server.port().to_string())
            .arg(format!("{ACCOUNT}/live"))
            .arg(&token)
            .arg("5"),
        CURL_TIMEOUT,
    );
    let out = finished.stdout_text();
    assert!(
        finished.status.success(),
        "{}\n{}",
        finished.report(),
        server.log_tail()
    );
    assert!(
        out.contains("names ['f.bin']") && out.contains("retr 1000"),
        "{out}"
    );
    assert!(
        out.contains(
            "stor 550 /g.bin: Permission denied: the SAS token lacks write (w) permission"
        ),
        "{out}"
    );
    assert!(
        out.contains("names again ['f.bin']"),
        "the session goes on: {out}"
    );
    let expired = format!("Permission denied: the SAS token expired at {expiry}");
    assert!(out.contains(&format!("NLST 550 /: {expired}")), "{out}");
    assert!(
        out.contains(&format!("RETR f.bin 550 /f.bin: {expired}")),
        "{out}"
    );
    assert!(out.contains("seconds 0."), "refused at once: {out}");
}
