//! File trees: the 50-file sample tree the mirror tests move around, and a
//! comparison of two trees that lists every difference.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use super::data::{read_file, write_file};
use super::pattern;

/// The nested tree of 50 files the mirror tests move around: three levels,
/// sizes from 0 B to 200 KiB, a name with spaces, a name in Unicode, an empty
/// directory. Paths are relative, with `/` separators.
pub(crate) fn sample_tree() -> (Vec<(String, Vec<u8>)>, Vec<String>) {
    let dirs = [
        "",
        "docs/",
        "docs/old/",
        "images/",
        "images/2024/",
        "data set/",
    ];
    let mut files = vec![
        ("empty.txt".to_owned(), Vec::new()),
        ("one byte.txt".to_owned(), b"x".to_vec()),
        (
            "docs/with spaces in name.txt".to_owned(),
            b"spaces\n".to_vec(),
        ),
        ("docs/ünïcødé-日本語.bin".to_owned(), pattern(3000, 99)),
        ("images/2024/max.bin".to_owned(), pattern(200 * 1024, 7)),
    ];
    let mut n = 0u64;
    while files.len() < 50 {
        let dir = dirs[(n % dirs.len() as u64) as usize];
        // Sizes spread over 0..200 KiB, with a few round ones.
        let size = match n % 7 {
            0 => 0,
            1 => 1,
            2 => 4096,
            3 => 65_536 + 1,
            _ => ((n * 7919) % (200 * 1024)) as usize,
        };
        files.push((format!("{dir}file-{n:02}.dat"), pattern(size, 1000 + n)));
        n += 1;
    }
    let empty_dirs = vec!["empty dir".to_owned()];
    (files, empty_dirs)
}

/// Writes [`sample_tree`] under `base`.
pub(crate) fn write_sample_tree(base: &Path) {
    let (files, empty_dirs) = sample_tree();
    for (rel, data) in &files {
        write_file(base, rel, data);
    }
    for dir in &empty_dirs {
        fs::create_dir_all(base.join(dir)).expect("create an empty directory");
    }
}

/// One entry of a file tree, as compared by [`assert_same_tree`].
#[derive(Debug, PartialEq, Eq)]
enum Entry {
    Dir,
    File(Vec<u8>),
}

fn collect_tree(base: &Path) -> BTreeMap<String, Entry> {
    let mut out = BTreeMap::new();
    let mut stack = vec![PathBuf::new()];
    // Bounded: each directory is visited once and trees here are small.
    while let Some(rel) = stack.pop() {
        let dir = base.join(&rel);
        let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("list {}: {e}", dir.display()));
        for entry in entries {
            let entry = entry.expect("directory entry");
            let rel_child = rel.join(entry.file_name());
            let key = rel_child.to_string_lossy().into_owned();
            let kind = entry.file_type().expect("file type");
            if kind.is_dir() {
                out.insert(key, Entry::Dir);
                stack.push(rel_child);
            } else {
                out.insert(key, Entry::File(read_file(&entry.path())));
            }
        }
    }
    out
}

/// Asserts that the trees under `expected` and `actual` hold the same
/// directories and files with the same bytes; the message lists every
/// missing, extra and different entry.
#[track_caller]
pub(crate) fn assert_same_tree(expected: &Path, actual: &Path) {
    let want = collect_tree(expected);
    let got = collect_tree(actual);
    let mut problems = String::new();
    for (path, entry) in &want {
        match (entry, got.get(path)) {
            (_, None) => writeln!(problems, "missing: {path}").expect("write to String"),
            (Entry::Dir, Some(Entry::Dir)) => {}
            (Entry::File(a), Some(Entry::File(b))) if a == b => {}
            (Entry::File(a), Some(Entry::File(b))) => writeln!(
                problems,
                "different: {path} ({} bytes expected, {} bytes found)",
                a.len(),
                b.len()
            )
            .expect("write to String"),
            (_, Some(_)) => writeln!(problems, "wrong kind: {path}").expect("write to String"),
        }
    }
    for path in got.keys().filter(|p| !want.contains_key(*p)) {
        writeln!(problems, "unexpected: {path}").expect("write to String");
    }
    assert!(
        problems.is_empty(),
        "trees differ ({} expected entries, {} found under {}):\n{problems}",
        want.len(),
        got.len(),
        actual.display()
    );
}
