//! MLSD, LIST and NLST of a folder of 10,000 entries on the local disk: the
//! listing the storage layer reads in batches, many `getdents64` buffers
//! long, with its metadata from one `statx` per entry.

use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use crate::support::{Ftp, Server};

const FILES: usize = 10_000;

/// `verb many` read to its end: the lines, and the final reply.
fn listing(ftp: &mut Ftp, verb: &str) -> (Vec<String>, String) {
    let mut data = ftp.open(verb, "many");
    let mut text = String::new();
    data.read_to_string(&mut text).expect("the listing");
    let reply = ftp.reply().expect("a reply in time");
    let lines = text
        .split_terminator("\r\n")
        .map(str::to_owned)
        .collect::<Vec<_>>();
    (lines, reply)
}

/// The value of `fact` in an MLSD line's facts.
fn fact<'a>(facts: &'a str, name: &str) -> Option<&'a str> {
    facts
        .split(';')
        .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
}

/// The client gets `226` and one line per entry for each of MLSD, LIST and
/// NLST: every file and folder exactly once, in the order the folder gives
/// them (the order a plain `readdir` sees), never the upload temporary
/// file; each MLSD line's type, size, modify time and unique id are those
/// of the entry on the disk.
#[test]
fn ten_thousand_entries_are_listed_completely_and_in_folder_order() {
    let server = Server::start();
    let many = server.root().join("many");
    fs::create_dir(&many).expect("mkdir");
    for i in 0..FILES {
        fs::write(many.join(format!("file-{i:05}.dat")), vec![b'x'; i % 100]).expect("write");
    }
    for sub in ["sub-a", "sub-b"] {
        fs::create_dir(many.join(sub)).expect("mkdir");
    }
    fs::write(many.join(".wharf-upload-0123456789abcdef"), b"partial").expect("write");
    let expected: Vec<String> = fs::read_dir(&many)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
        .filter(|name| !name.starts_with(".wharf-upload-"))
        .collect();
    assert_eq!(expected.len(), FILES + 2);

    let mut ftp = Ftp::login(server.addr(), Duration::from_secs(60));
    let (lines, reply) = listing(&mut ftp, "MLSD");
    assert!(reply.starts_with("226"), "{reply}");
    let names: Vec<&str> = lines
        .iter()
        .map(|l| l.split_once(' ').expect("facts and a name").1)
        .collect();
    assert_eq!(names, expected, "MLSD: names or their order");
    for line in &lines {
        let (facts, name) = line.split_once(' ').expect("facts and a name");
        let meta = fs::symlink_metadata(many.join(name)).expect("on the disk");
        let kind = if meta.is_dir() { "dir" } else { "file" };
        assert_eq!(fact(facts, "type"), Some(kind), "{line}");
        if meta.is_file() {
            assert_eq!(
                fact(facts, "size"),
                Some(meta.len().to_string().as_str()),
                "{line}"
            );
        }
        let unique = format!("{:x}-{:x}", meta.dev(), meta.ino());
        assert_eq!(fact(facts, "unique"), Some(unique.as_str()), "{line}");
        let modify = fact(facts, "modify").expect("a modify fact");
        assert_eq!(modify.len(), 14, "{line}");
        let mode = format!("0{:o}", meta.mode() & 0o7777);
        assert_eq!(fact(facts, "UNIX.mode"), Some(mode.as_str()), "{line}");
    }

    let (lines, reply) = listing(&mut ftp, "LIST");
    assert!(reply.starts_with("226"), "{reply}");
    let names: Vec<&str> = lines
        .iter()
        .map(|l| l.rsplit_once(' ').expect("columns and a name").1)
        .collect();
    assert_eq!(names, expected, "LIST: names or their order");

    let (lines, reply) = listing(&mut ftp, "NLST");
    assert!(reply.starts_with("226"), "{reply}");
    assert_eq!(lines, expected, "NLST: names or their order");
    let unique: HashSet<&String> = lines.iter().collect();
    assert_eq!(unique.len(), FILES + 2);
}
