//! Per-path permissions: every verb against every permission. Under
//! `/deny/<permission>` the login holds every permission but that one; a
//! verb must be refused (`550 <path>: permission denied (<permission>).`,
//! storage unchanged) exactly where it needs the missing permission, and
//! work everywhere else.

use wharf_vfs::testing::{list_entries, path, read_file};

use crate::permissions::{PathRules, Permission, Permissions};
use crate::testkit::{Harness, PERMITTED, Setup};

/// One command of a case: the line (`{d}` stands for the directory), what
/// it uploads, and its reply codes when allowed.
type Step = (&'static str, Option<&'static [u8]>, &'static [u16]);

/// A verb, the steps that exercise it, and the permissions it needs.
struct Case {
    steps: &'static [Step],
    needs: &'static [Permission],
}

use Permission::*;

const CASES: &[Case] = &[
    Case {
        steps: &[("EPSV", None, &[229]), ("LIST {d}/sub", None, &[150, 226])],
        needs: &[List],
    },
    Case {
        steps: &[("EPSV", None, &[229]), ("NLST {d}/sub", None, &[150, 226])],
        needs: &[List],
    },
    Case {
        steps: &[("EPSV", None, &[229]), ("MLSD {d}/sub", None, &[150, 226])],
        needs: &[List],
    },
    Case {
        steps: &[("MLST {d}/f", None, &[250])],
        needs: &[List],
    },
    Case {
        steps: &[("STAT {d}/f", None, &[213])],
        needs: &[List],
    },
    Case {
        steps: &[("EPSV", None, &[229]), ("RETR {d}/f", None, &[150, 226])],
        needs: &[Download],
    },
    Case {
        steps: &[("XMD5 {d}/f", None, &[250])],
        needs: &[Download],
    },
    Case {
        steps: &[("HASH {d}/f", None, &[213])],
        needs: &[Download],
    },
    Case {
        steps: &[("SIZE {d}/f", None, &[213]), ("MDTM {d}/f", None, &[213])],
        // List or download: one missing is no refusal.
        needs: &[],
    },
    Case {
        steps: &[
            ("EPSV", None, &[229]),
            ("STOR {d}/new", Some(b"new"), &[150, 226]),
        ],
        needs: &[Upload],
    },
    Case {
        steps: &[
            ("EPSV", None, &[229]),
            ("STOR {d}/f", Some(b"replaced"), &[150, 226]),
        ],
        needs: &[Upload, Overwrite],
    },
    Case {
        steps: &[
            ("EPSV", None, &[229]),
            ("APPE {d}/new", Some(b"new"), &[150, 226]),
        ],
        needs: &[Upload],
    },
    Case {
        steps: &[
            ("EPSV", None, &[229]),
            ("APPE {d}/f", Some(b"more"), &[150, 226]),
        ],
        needs: &[Upload, Overwrite],
    },
    Case {
        steps: &[
            ("EPSV", None, &[229]),
            ("REST 2", None, &[350]),
            ("STOR {d}/f", Some(b"tail"), &[150, 226]),
        ],
        needs: &[Upload, Overwrite],
    },
    Case {
        steps: &[
            ("EPSV", None, &[229]),
            ("STOU {d}/u", Some(b"unique"), &[150, 226]),
        ],
        needs: &[Upload],
    },
    Case {
        steps: &[("DELE {d}/f", None, &[250])],
        needs: &[Delete],
    },
    Case {
        steps: &[("RNFR {d}/f", None, &[350]), ("RNTO {d}/g", None, &[250])],
        needs: &[Rename],
    },
    Case {
        steps: &[("RNFR {d}/f", None, &[350]), ("RNTO {d}/f2", None, &[250])],
        needs: &[Rename, Overwrite],
    },
    Case {
        steps: &[("MKD {d}/newdir", None, &[257])],
        needs: &[Mkdir],
    },
    Case {
        steps: &[("RMD {d}/empty", None, &[250])],
        needs: &[Rmdir],
    },
    Case {
        steps: &[("SITE CHMOD 600 {d}/f", None, &[200])],
        needs: &[Chmod],
    },
    Case {
        steps: &[("MFMT 20200102030405 {d}/f", None, &[213])],
        needs: &[Chmod],
    },
    Case {
        steps: &[("SITE UTIME 20200102030405 {d}/f", None, &[200])],
        needs: &[Chmod],
    },
];

/// The directory where `permission` is the one missing.
fn dir_without(permission: Permission) -> String {
    format!("/deny/{permission}")
}

/// A harness with `/deny/<permission>` for every permission, each holding
/// a file `f`, a file `f2`, a folder `sub` with a file, and an empty
/// folder.
async fn harness() -> Harness {
    let mut setup = Setup::default();
    let mut rules = PathRules::full();
    let mut dirs = vec!["deny".to_owned()];
    let mut files = Vec::new();
    for permission in Permission::ALL {
        let dir = dir_without(permission);
        rules = rules.with_rule(path(&dir), Permissions::ALL.without(permission));
        dirs.extend([dir.clone(), format!("{dir}/sub"), format!("{dir}/empty")]);
        files.extend([
            (format!("{dir}/f"), "content"),
            (format!("{dir}/f2"), "other"),
            (format!("{dir}/sub/inner"), "x"),
        ]);
    }
    setup.dirs(dirs);
    setup.fs(files);
    setup.permissions(rules);
    Harness::start(setup).await
}

/// What a directory holds, to see that a refusal changed nothing.
async fn snapshot(harness: &Harness, dir: &str) -> Vec<String> {
    let mut seen = Vec::new();
    for sub in [dir.to_owned(), format!("{dir}/sub")] {
        for entry in list_entries(harness.fs.as_ref(), &path(&sub)).await {
            let meta = &entry.metadata;
            seen.push(format!(
                "{sub}/{} {:?} {} {:?} {:?}",
                entry.name_lossy(),
                meta.kind,
                meta.size,
                meta.modified,
                meta.mode
            ));
        }
    }
    let content = read_file(harness.fs.as_ref(), &path(format!("{dir}/f")), 0).await;
    seen.push(String::from_utf8_lossy(&content).into_owned());
    seen
}

#[tokio::test]
async fn every_verb_needs_exactly_its_permissions() {
    for case in CASES {
        let harness = harness().await;
        let mut client = harness.connect().await;
        client.login(PERMITTED).await;
        for missing in Permission::ALL {
            let dir = dir_without(missing);
            let before = snapshot(&harness, &dir).await;
            let refused = case.needs.contains(&missing);
            let mut saw_refusal = false;
            for (line, upload, codes) in case.steps {
                let line = line.replace("{d}", &dir);
                let got = client.exchange(&line, *upload).await;
                if refused && got.codes() == [550] {
                    let text = got.text();
                    assert!(
                        text.starts_with(&format!("{dir}/"))
                            && text.ends_with(&format!(": permission denied ({missing}).")),
                        "`{line}` without {missing}: {text}"
                    );
                    saw_refusal = true;
                    break;
                }
                assert_eq!(
                    got.codes(),
                    codes.to_vec(),
                    "`{line}` without {missing} (refusal expected: {refused}): {}",
                    got.text()
                );
            }
            assert_eq!(saw_refusal, refused, "{:?} without {missing}", case.steps);
            if refused {
                assert_eq!(
                    snapshot(&harness, &dir).await,
                    before,
                    "{:?}: refused, yet changed",
                    case.steps
                );
            }
        }
    }
}

#[tokio::test]
async fn rnto_needs_rename_on_the_target_too() {
    let harness = harness().await;
    let mut client = harness.connect().await;
    client.login(PERMITTED).await;
    assert_eq!(client.cmd("RNFR /deny/list/f").await.code().get(), 350);
    let got = client.exchange("RNTO /deny/rename/moved", None).await;
    assert_eq!(got.codes(), [550]);
    assert_eq!(
        got.text(),
        "/deny/rename/moved: permission denied (rename)."
    );
    assert!(harness.exists("deny/list/f").await);
    assert!(!harness.exists("deny/rename/moved").await);
    // And the other way: out of a folder without rename.
    let got = client.exchange("RNFR /deny/rename/f", None).await;
    assert_eq!(got.text(), "/deny/rename/f: permission denied (rename).");
    assert_eq!(client.cmd("RNTO /deny/list/moved").await.code().get(), 503);
}

#[tokio::test]
async fn size_and_mdtm_need_list_or_download() {
    let mut setup = Setup::default();
    setup.dirs(["/neither", "/list", "/download"]);
    setup.fs([("/neither/f", "x"), ("/list/f", "x"), ("/download/f", "x")]);
    let only = |p: Permission| Permissions::NONE.with(p);
    setup.permissions(
        PathRules::full()
            .with_rule(
                path("/neither"),
                Permissions::ALL.without(List).without(Download),
            )
            .with_rule(path("/list"), only(List))
            .with_rule(path("/download"), only(Download)),
    );
    let harness = Harness::start(setup).await;
    let mut client = harness.connect().await;
    client.login(PERMITTED).await;
    for verb in ["SIZE", "MDTM"] {
        let got = client.exchange(&format!("{verb} /neither/f"), None).await;
        assert_eq!(got.codes(), [550]);
        assert_eq!(
            got.text(),
            "/neither/f: permission denied (list or download)."
        );
        for dir in ["list", "download"] {
            let line = format!("{verb} /{dir}/f");
            assert_eq!(client.cmd(&line).await.code().get(), 213, "{line}");
        }
    }
}

#[tokio::test]
async fn list_r_skips_folders_it_may_not_list_and_mlsd_says_what_each_entry_allows() {
    let mut setup = Setup::default();
    setup.dirs(["/top", "/top/open", "/top/closed"]);
    setup.fs([
        ("/top/open/a", "x"),
        ("/top/closed/b", "x"),
        ("/top/f", "x"),
    ]);
    setup.permissions(
        PathRules::read_only()
            .with_rule(path("/top/closed"), Permissions::NONE)
            .with_rule(path("/top/f"), Permissions::ALL),
    );
    let harness = Harness::start(setup).await;
    let mut client = harness.connect().await;
    client.login(PERMITTED).await;
    assert_eq!(client.cmd("EPSV").await.code().get(), 229);
    let got = client.exchange("NLST -R /top", None).await;
    assert_eq!(got.codes(), [150, 226]);
    let listing = String::from_utf8_lossy(&got.data).into_owned();
    assert!(listing.contains("/top/open:"), "{listing}");
    assert!(
        !listing.contains("closed:") && !listing.contains('b'),
        "{listing}"
    );
    assert_eq!(client.cmd("EPSV").await.code().get(), 229);
    let got = client.exchange("MLSD /top", None).await;
    let listing = String::from_utf8_lossy(&got.data).into_owned();
    let perm = |name: &str| {
        listing
            .lines()
            .find(|l| l.ends_with(&format!(" {name}")))
            .and_then(|l| l.split(';').find_map(|f| f.strip_prefix("perm=")))
            .unwrap_or_else(|| panic!("no perm fact for {name}: {listing}"))
            .to_owned()
    };
    assert_eq!(perm("open"), "el");
    assert_eq!(perm("closed"), "e");
    assert_eq!(perm("f"), "adfrw");
    let refused = client.exchange("LIST /top/closed", None).await;
    assert_eq!(refused.text(), "/top/closed: permission denied (list).");
}

#[tokio::test]
async fn the_presets_keep_the_old_behaviour() {
    let mut setup = Setup::default();
    setup.fs([("/f", "x")]);
    let harness = Harness::start(setup).await;
    let mut client = harness.connect().await;
    let pass = {
        assert_eq!(client.cmd("USER r").await.code().get(), 331);
        client.cmd("PASS s").await
    };
    assert_eq!(
        crate::testkit::text(&pass),
        "User logged in (read-only), proceed."
    );
    let got = client.exchange("DELE /f", None).await;
    assert_eq!(got.text(), "/f: permission denied (delete).");
    assert_eq!(client.cmd("EPSV").await.code().get(), 229);
    let got = client.exchange("RETR /f", None).await;
    assert_eq!(got.codes(), [150, 226]);
    let mut writer = harness.connect().await;
    writer.login("a").await;
    assert_eq!(writer.cmd("DELE /f").await.code().get(), 250);
}
