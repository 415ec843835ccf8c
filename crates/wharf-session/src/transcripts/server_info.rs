//! What a client can ask about the server and the session: FEAT, SYST,
//! HELP, NOOP, OPTS, LANG, STAT, SITE, HOST, ACCT, ALLO, SMNT, and verbs
//! the server does not know or does not implement.

use crate::testkit::{ByteQuota, Harness, Setup, text};

#[tokio::test]
async fn commands_that_work_before_login() {
    transcript!(;
        "FEAT" => 211,
        "SYST" => 215,
        "HELP" => 214,
        "HELP RETR" => 214,
        "NOOP" => 200,
        "STAT" => 211,
        "OPTS UTF8 ON" => 200,
        "LANG" => 200,
        "ACCT billing" => 202,
        "HOST ftp.example.test" => 220,
        "QUIT" => 221,
    );
}

#[tokio::test]
async fn feat_lists_what_the_server_supports() {
    let harness = Harness::start(Setup::default()).await;
    let mut client = harness.connect().await;
    let reply = client.cmd("FEAT").await;
    assert_eq!(reply.code().get(), 211);
    let lines: Vec<String> = text(&reply).lines().map(str::to_owned).collect();
    // RFC 2389 3.2: a multi-line reply, each feature on a line of its own
    // that starts with a space.
    assert!(lines.len() > 2, "{lines:?}");
    let features: Vec<&str> = lines[1..lines.len() - 1]
        .iter()
        .map(|l| {
            l.strip_prefix(' ')
                .expect("a feature line starts with a space")
        })
        .collect();
    for wanted in [
        "EPRT",
        "EPSV",
        "HOST",
        "LANG EN*",
        "MDTM",
        "MFMT",
        "PASV",
        "REST STREAM",
        "SIZE",
        "TVFS",
        "UTF8",
    ] {
        assert!(
            features.contains(&wanted),
            "FEAT lacks {wanted}: {features:?}"
        );
    }
    let mlst = features
        .iter()
        .find_map(|f| f.strip_prefix("MLST "))
        .expect("an MLST line");
    for fact in ["type*", "size*", "modify*", "perm*"] {
        assert!(mlst.split(';').any(|f| f == fact), "MLST facts {mlst}");
    }
    // Without a certificate, no TLS is offered.
    assert!(
        !features.iter().any(|f| f.starts_with("AUTH")),
        "{features:?}"
    );
}

#[tokio::test]
async fn feat_offers_tls_with_a_certificate_and_ccc_only_when_allowed() {
    for allow_ccc in [false, true] {
        let mut setup = Setup::default();
        setup.tls(true);
        setup.options(|o| o.allow_ccc = allow_ccc);
        let harness = Harness::start(setup).await;
        let mut client = harness.connect().await;
        let feat = text(&client.cmd("FEAT").await);
        for wanted in [" AUTH TLS", " PBSZ", " PROT"] {
            assert!(feat.lines().any(|l| l == wanted), "{feat}");
        }
        assert_eq!(feat.lines().any(|l| l == " CCC"), allow_ccc, "{feat}");
    }
}

#[tokio::test]
async fn syst_stat_and_help_say_what_clients_parse() {
    let harness = Harness::start(Setup::default()).await;
    let mut client = harness.connect().await;
    assert_eq!(text(&client.cmd("SYST").await), "UNIX Type: L8");
    let before = text(&client.cmd("STAT").await);
    assert!(before.contains("Not logged in"), "{before}");
    client.login("a").await;
    assert_eq!(client.cmd("TYPE A").await.code().get(), 200);
    let after = text(&client.cmd("STAT").await);
    assert!(after.contains("Logged in as a"), "{after}");
    assert!(after.contains("TYPE: ASCII"), "{after}");
    assert!(after.contains("MODE: S"), "{after}");
    // STAT tells the mode in force.
    assert_eq!(client.cmd("MODE B").await.code().get(), 200);
    let block = text(&client.cmd("STAT").await);
    assert!(block.contains("MODE: B"), "{block}");
    let help = text(&client.cmd("HELP").await);
    for verb in ["EPSV", "MLSD", "RNFR", "STOU", "XPWD"] {
        assert!(help.contains(verb), "HELP lacks {verb}: {help}");
    }
}

#[tokio::test]
async fn opts_and_lang() {
    let (_harness, mut client) = transcript!(;
        "OPTS UTF8 ON" => 200,
        "OPTS UTF8 OFF" => 200,
        "OPTS UTF8 MAYBE" => 501,
        "OPTS FROB 1" => 501,
        "LANG EN" => 200,
        "LANG en-GB" => 200,
        "LANG fr" => 504,
        "USER a" => 331,
        "PASS s" => 230,
    );
    // RFC 3659 7.9: OPTS MLST names the facts now selected.
    let reply = client.cmd("OPTS MLST type;size;").await;
    assert_eq!(reply.code().get(), 200);
    assert_eq!(text(&reply), "MLST OPTS type;size;");
    let reply = client.cmd("MLST").await;
    let facts = text(&reply);
    let line = facts.lines().nth(1).unwrap();
    assert!(line.starts_with(" type=dir;"), "{line}");
    assert!(!line.contains("modify="), "an unselected fact: {line}");
}

#[tokio::test]
async fn host_comes_before_user() {
    transcript!(;
        // RFC 7151 3: HOST before USER, not after.
        "HOST ftp.example.test" => 220,
        "HOST [192.0.2.1]" => 220,
        "USER a" => 331,
        "HOST ftp.example.test" => 503,
        "PASS s" => 230,
        "HOST ftp.example.test" => 503,
        "REIN" => 220,
        "HOST ftp.example.test" => 220,
    );
}

#[tokio::test]
async fn superfluous_and_unimplemented_commands() {
    transcript!(;
        "USER a" => 331,
        "PASS s" => 230,
        "ACCT billing" => 202,
        "ALLO 1000" => 202,
        "ALLO 1000 R 100" => 202,
        "SMNT /elsewhere" => 502,
        // Known to RFC 959 and its successors, not served here.
        "LPSV" => 502,
        "ADAT abc" => 502,
        "MFF modify=20200101000000; f" => 502,
        // No such command at all.
        "FROB" => 500,
        "RETRIEVE f" => 500,
        "NOOP extra" => 501,
        "NOOP" => 200,
    );
}

#[tokio::test]
async fn site_help_chmod_quota_and_unknown() {
    let (harness, _) = transcript!(fs = [("f", "x")];
        "USER a" => 331,
        "PASS s" => 230,
        "SITE HELP" => 214,
        "SITE CHMOD 640 f" => 200,
        "SITE CHMOD 600 missing" => 550,
        // Setuid, setgid and sticky never come from a client.
        "SITE CHMOD 4755 f" => 550,
        "SITE CHMOD 9 f" => 501,
        "SITE QUOTA" => 200,
        "SITE FROBNICATE" => 502,
    );
    let meta = wharf_vfs::Vfs::metadata(harness.fs.as_ref(), &wharf_vfs::testing::path("f"))
        .await
        .unwrap();
    assert_eq!(meta.mode, Some(0o640));
}

#[tokio::test]
async fn site_quota_shows_the_login_s_quota() {
    let quota = std::sync::Arc::new(ByteQuota::new(4096, 100));
    let mut setup = Setup::default();
    setup.quota(quota);
    let harness = Harness::start(setup).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    let reply = client.cmd("SITE QUOTA").await;
    assert_eq!(reply.code().get(), 200);
    let shown = text(&reply);
    assert!(shown.contains("Quota for tester (daily):"), "{shown}");
    assert!(shown.contains(" Limit: 4096 bytes (4.0 KiB)"), "{shown}");
    assert!(
        shown.contains(" Resets: 1970-01-02 00:00:00 UTC"),
        "{shown}"
    );
}
