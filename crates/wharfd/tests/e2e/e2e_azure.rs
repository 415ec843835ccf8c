//! Seed 000's bridge end to end: wharfd with `--azure-passthrough` in front
//! of Azurite, driven by curl. The FTP user is the storage account, the
//! password its key; containers are the folders of `/`.

use crate::support;

use std::process::Command;
use std::time::Duration;

use support::azurite::{ACCOUNT, Azurite, KEY, Moto};
use support::{PASSWORD, Server, USER, pattern, require_tool, run, run_suite};

const CURL_TIMEOUT: Duration = Duration::from_secs(60);

fn bridge(azurite: &Azurite) -> Server {
    Server::builder()
        .args(&[
            "--azure-passthrough",
            "--azure-endpoint",
            &azurite.endpoint(),
            // Loopback only: the key may cross it in clear.
            "--allow-account-keys-in-clear",
        ])
        .start()
}

/// curl as the storage account, with `args`; panics unless it succeeds.
fn curl(server: &Server, args: &[&str]) -> Vec<u8> {
    curl_as(&format!("{ACCOUNT}:{KEY}"), server, args).stdout
}

/// Like [`curl`], but with `-v`, returning the control conversation curl
/// printed on stderr.
fn curl_conversation(server: &Server, args: &[&str]) -> String {
    let verbose: Vec<&str> = std::iter::once("-v").chain(args.iter().copied()).collect();
    let finished = curl_as(&format!("{ACCOUNT}:{KEY}"), server, &verbose);
    String::from_utf8_lossy(&finished.stderr).into_owned()
}

/// curl logged in as `credentials` (`user:password`); panics unless it
/// succeeds.
fn curl_as(credentials: &str, server: &Server, args: &[&str]) -> support::Finished {
    require_tool("curl", "curl");
    let finished = run(
        Command::new("curl")
            .args(["-sS", "-u", credentials])
            .args(args),
        CURL_TIMEOUT,
    );
    assert!(
        finished.status.success(),
        "curl {args:?} failed\n{}\n{}",
        finished.report(),
        server.log_tail()
    );
    finished
}

fn listing(server: &Server, path: &str) -> String {
    String::from_utf8_lossy(&curl(server, &[&format!("{}{path}", server.url())])).into_owned()
}

#[test]
fn containers_are_folders_and_blobs_are_files() {
    let azurite = Azurite::start();
    let server = bridge(&azurite);
    let url = server.url();
    curl(&server, &["-Q", "MKD /photos", &format!("{url}/")]);
    assert!(
        listing(&server, "/").contains("photos"),
        "the new container is not listed"
    );

    let dir = tempfile::tempdir().expect("test set-up");
    for (i, size) in [0usize, 1, 5 * 1024 * 1024 + 1].into_iter().enumerate() {
        let data = pattern(size, 10 + i as u64);
        let local = dir.path().join(format!("f{i}"));
        std::fs::write(&local, &data).expect("test set-up");
        curl(
            &server,
            &[
                "-T",
                local.to_str().expect("test set-up"),
                &format!("{url}/photos/f{i}.bin"),
            ],
        );
        let back = curl(&server, &[&format!("{url}/photos/f{i}.bin")]);
        assert!(
            back == data,
            "blob of {size} bytes differs after the round trip"
        );
    }
    let files = listing(&server, "/photos/");
    assert!(
        files.contains("f2.bin") && files.contains("5242881"),
        "{files}"
    );

    // A folder inside a container, kept by a placeholder that is never listed.
    curl(&server, &["-Q", "MKD /photos/2026", &format!("{url}/")]);
    let files = listing(&server, "/photos/");
    assert!(
        files.contains("2026") && !files.contains(".placeholder"),
        "{files}"
    );
    curl(&server, &["-Q", "RMD /photos/2026", &format!("{url}/")]);

    // Rename the container, then delete it once empty. The reply says the
    // rename was a copy on the storage side.
    let conversation = curl_conversation(
        &server,
        &[
            "-Q",
            "RNFR /photos",
            "-Q",
            "RNTO /pictures",
            &format!("{url}/"),
        ],
    );
    assert!(
        conversation.contains("< 250 Renamed: everything in it was copied"),
        "{conversation}"
    );
    let top = listing(&server, "/");
    assert!(top.contains("pictures") && !top.contains("photos"), "{top}");
    assert_eq!(curl(&server, &[&format!("{url}/pictures/f1.bin")]).len(), 1);
    for i in 0..3 {
        curl(
            &server,
            &[
                "-Q",
                &format!("DELE /pictures/f{i}.bin"),
                &format!("{url}/"),
            ],
        );
    }
    curl(&server, &["-Q", "RMD /pictures", &format!("{url}/")]);
    assert!(!listing(&server, "/").contains("pictures"));
}

#[test]
fn a_wrong_key_is_refused_and_no_key_is_logged() {
    let azurite = Azurite::start();
    let server = bridge(&azurite);
    let wrong = format!("{ACCOUNT}:d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXkhIQ==");
    let finished = run(
        Command::new("curl").args(["-sS", "-u", &wrong, &format!("{}/", server.url())]),
        CURL_TIMEOUT,
    );
    assert_eq!(
        finished.status.code(),
        Some(67),
        "curl should be denied (530)\n{}",
        finished.report()
    );
    // Log in once with the right key, then search the log for either key.
    curl(&server, &[&format!("{}/", server.url())]);
    let log = server.log_tail();
    assert!(
        !log.contains(KEY) && !log.contains("d3Jvbmcta2V5"),
        "a key reached the log"
    );
}

#[test]
fn site_chmod_makes_a_container_public() {
    let azurite = Azurite::start();
    let server = bridge(&azurite);
    let url = server.url();
    curl(&server, &["-Q", "MKD /public", &format!("{url}/")]);
    let dir = tempfile::tempdir().expect("test set-up");
    let local = dir.path().join("hello.txt");
    std::fs::write(&local, b"hello from a public container").expect("test set-up");
    curl(
        &server,
        &[
            "-T",
            local.to_str().expect("test set-up"),
            &format!("{url}/public/hello.txt"),
        ],
    );
    let blob_url = format!(
        "http://127.0.0.1:{}/{ACCOUNT}/public/hello.txt",
        azurite.port
    );
    let anonymous_get = || {
        let finished = run(
            Command::new("curl").args(["-s", "-o", "/dev/null", "-w", "%{http_code}", &blob_url]),
            CURL_TIMEOUT,
        );
        finished.stdout_text()
    };
    assert!(
        matches!(anonymous_get().as_str(), "403" | "404"),
        "private by default"
    );
    curl(
        &server,
        &["-Q", "SITE CHMOD 755 /public", &format!("{url}/")],
    );
    assert_eq!(
        anonymous_get(),
        "200",
        "o+rx should make the container public"
    );
    assert!(
        listing(&server, "/").contains("drwxr-xr-x"),
        "LIST shows the public container as 755"
    );
    curl(
        &server,
        &["-Q", "SITE CHMOD 750 /public", &format!("{url}/")],
    );
    assert!(
        matches!(anonymous_get().as_str(), "403" | "404"),
        "private again"
    );
}

#[test]
fn folder_markers_can_be_slash_blobs() {
    let azurite = Azurite::start();
    let server = Server::builder()
        .args(&[
            "--azure-passthrough",
            "--azure-endpoint",
            &azurite.endpoint(),
            "--azure-folder-marker",
            "slash",
            "--allow-account-keys-in-clear",
        ])
        .start();
    let url = server.url();
    for command in ["MKD /shared", "MKD /shared/empty", "SITE CHMOD 755 /shared"] {
        curl(&server, &["-Q", command, &format!("{url}/")]);
    }
    assert!(listing(&server, "/shared/").contains("empty"));
    // The container is public now, so its raw blob list is one anonymous
    // GET: the folder is kept by a `empty/` blob, and there is no
    // placeholder.
    let list_url = format!(
        "http://127.0.0.1:{}/{ACCOUNT}/shared?restype=container&comp=list",
        azurite.port
    );
    let blobs = run(Command::new("curl").args(["-sS", &list_url]), CURL_TIMEOUT).stdout_text();
    assert!(blobs.contains("<Name>empty/</Name>"), "{blobs}");
    assert!(!blobs.contains("placeholder"), "{blobs}");
    curl(&server, &["-Q", "RMD /shared/empty", &format!("{url}/")]);
    let blobs = run(Command::new("curl").args(["-sS", &list_url]), CURL_TIMEOUT).stdout_text();
    assert!(!blobs.contains("<Name>empty/</Name>"), "{blobs}");
}

/// A server whose users (the harness's default one) get `storage`, with the
/// key in a file next to the root.
fn storage_server(storage: &str, key: &str, extra: &[&str]) -> Server {
    Server::builder()
        .file("storage.key", key)
        .args(&[
            "--storage",
            storage,
            "--storage-key-file",
            "{base}/storage.key",
        ])
        .args(extra)
        .start()
}

/// curl as the harness's default user.
fn user_curl(server: &Server, args: &[&str]) -> Vec<u8> {
    curl_as(&format!("{USER}:{PASSWORD}"), server, args).stdout
}

#[test]
fn a_fixed_azure_account_and_container_serve_the_users_file_users() {
    let azurite = Azurite::start();
    let endpoint = azurite.endpoint();
    let account = storage_server(
        &format!("azure://{ACCOUNT}"),
        KEY,
        &["--azure-endpoint", &endpoint],
    );
    user_curl(
        &account,
        &["-Q", "MKD /box", &format!("{}/", account.url())],
    );
    let dir = tempfile::tempdir().expect("test set-up");
    let local = dir.path().join("f.bin");
    let data = pattern(200_000, 3);
    std::fs::write(&local, &data).expect("test set-up");
    user_curl(
        &account,
        &[
            "-T",
            local.to_str().expect("utf-8"),
            &format!("{}/box/f.bin", account.url()),
        ],
    );
    // The same container as / of another server.
    let container = storage_server(
        &format!("azure://{ACCOUNT}/box"),
        KEY,
        &["--azure-endpoint", &endpoint],
    );
    let listing =
        String::from_utf8_lossy(&user_curl(&container, &[&format!("{}/", container.url())]))
            .into_owned();
    assert!(listing.contains("f.bin"), "{listing}");
    assert!(user_curl(&container, &[&format!("{}/f.bin", container.url())]) == data);
}

#[test]
fn s3_buckets_are_folders() {
    let moto = Moto::start();
    let endpoint = format!("http://127.0.0.1:{}", moto.port);
    let server = storage_server(
        "s3://",
        "testing-id:testing-secret",
        &["--s3-endpoint", &endpoint],
    );
    user_curl(
        &server,
        &["-Q", "MKD /bucket-one", &format!("{}/", server.url())],
    );
    let dir = tempfile::tempdir().expect("test set-up");
    let local = dir.path().join("f.bin");
    let data = pattern(6 * 1024 * 1024 + 7, 4);
    std::fs::write(&local, &data).expect("test set-up");
    user_curl(
        &server,
        &[
            "-T",
            local.to_str().expect("utf-8"),
            &format!("{}/bucket-one/f.bin", server.url()),
        ],
    );
    assert!(
        user_curl(&server, &[&format!("{}/bucket-one/f.bin", server.url())]) == data,
        "S3 round trip differs"
    );
    let top =
        String::from_utf8_lossy(&user_curl(&server, &[&format!("{}/", server.url())])).into_owned();
    assert!(top.contains("bucket-one"), "{top}");
}

#[test]
fn a_bad_storage_key_stops_the_server_at_start() {
    let azurite = Azurite::start();
    let dir = tempfile::tempdir().expect("test set-up");
    let key = dir.path().join("key");
    std::fs::write(&key, "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXkhIQ==").expect("test set-up");
    let finished = run(
        Command::new(env!("CARGO_BIN_EXE_wharfd"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--storage",
                &format!("azure://{ACCOUNT}"),
            ])
            .arg("--storage-key-file")
            .arg(&key)
            .args(["--azure-endpoint", &azurite.endpoint()])
            .arg("--root")
            .arg(dir.path().join("root")),
        Duration::from_secs(60),
    );
    assert!(
        !finished.status.success(),
        "wharfd started with a wrong key"
    );
    assert!(
        finished.stderr_text().contains("storage"),
        "{}",
        finished.stderr_text()
    );
}

/// The ftplib functions of `blob.py`, against wharfd serving Azurite.
fn blob_suite(function: &str) {
    let azurite = Azurite::start();
    let server = storage_server(
        &format!("azure://{ACCOUNT}"),
        KEY,
        &["--azure-endpoint", &azurite.endpoint()],
    );
    run_suite(function, &server);
}

/// An upload reset mid-way leaves no blob (and a complete one is there).
#[test]
fn ftplib_blob_broken_upload_leaves_nothing() {
    blob_suite("blob_broken_upload_leaves_nothing");
}

/// REST resume of a download, APPE, and MFMT then MDTM/MLSD.
#[test]
fn ftplib_blob_rest_appe_mfmt() {
    blob_suite("blob_rest_appe_mfmt");
}

#[test]
fn a_200_mib_blob_round_trips_byte_exact() {
    use std::io::Write;
    let azurite = Azurite::start();
    let server = bridge(&azurite);
    let url = server.url();
    curl(&server, &["-Q", "MKD /big", &format!("{url}/")]);
    let dir = tempfile::tempdir().expect("test set-up");
    let local = dir.path().join("big.bin");
    let mut file = std::fs::File::create(&local).expect("test set-up");
    for chunk in 0..50u64 {
        file.write_all(&pattern(4 * 1024 * 1024, 1000 + chunk))
            .expect("test set-up");
    }
    drop(file);
    curl(
        &server,
        &[
            "-T",
            local.to_str().expect("utf-8"),
            &format!("{url}/big/big.bin"),
        ],
    );
    let back = dir.path().join("back.bin");
    curl(
        &server,
        &[
            "-o",
            back.to_str().expect("utf-8"),
            &format!("{url}/big/big.bin"),
        ],
    );
    let same = run(Command::new("cmp").arg(&local).arg(&back), CURL_TIMEOUT);
    assert!(
        same.status.success(),
        "the 200 MiB blob differs after the round trip\n{}",
        same.report()
    );
    assert_eq!(
        std::fs::metadata(&back).expect("downloaded").len(),
        200 * 1024 * 1024
    );
}
