"""LIST -la of files on local disk, as a real client reads it.

MLSD, MLST, NLST, LIST options and STAT with a path need no real client;
they are checked in process in wharf-session's transcripts
(crates/wharf-session/src/transcripts/listings.rs)."""

import os

from .harness import check, expect, connect, quit_quietly, utc, set_mtime, test


def _listing_fixture(ctx):
    path = ctx.write("report.txt", b"12345")
    set_mtime(path, utc(2022, 3, 4, 5, 6, 7))
    ctx.write("sub/inner.bin", b"inner")
    ctx.write("with space.txt", b"sp")
    return {"report.txt": 5, "with space.txt": 2}


@test
def list_la(ctx):
    """LIST -la gives ls -l lines: '-' for files and 'd' for directories, the byte size in the fifth column, the name last; '-la' is read as options, not a path."""
    sizes = _listing_fixture(ctx)
    ftp = connect(ctx)
    lines = []
    expect(ftp.retrlines("LIST -la", lines.append), "226", "250")
    by_name = {}
    for line in lines:
        if line.startswith("total"):
            continue
        fields = line.split(None, 8)
        check(len(fields) == 9, "LIST line is not ls -l format: %r" % line)
        by_name[fields[8]] = fields
    for name, size in sizes.items():
        check(name in by_name, "LIST -la lacks %r: %r" % (name, lines))
        check(by_name[name][0].startswith("-"), "file line %r" % by_name[name])
        check(by_name[name][4] == str(size), "size of %r in LIST: %r" % (name, by_name[name][4]))
    check("sub" in by_name and by_name["sub"][0].startswith("d"), "directory line for sub: %r" % lines)
    # Local files show their numeric owner and group, as vsftpd does.
    ids = [str(os.getuid()), str(os.getgid())]
    check(by_name["report.txt"][2:4] == ids, "owner and group of report.txt: %r" % by_name["report.txt"])
    extra = set(by_name) - set(sizes) - {"sub", ".", ".."}
    check(not extra, "LIST -la lists unexpected entries %r" % extra)
    lines = []
    ftp.retrlines("LIST sub", lines.append)
    lines = [line for line in lines if not line.startswith("total")]
    check(len(lines) == 1 and lines[0].endswith(" inner.bin"), "LIST sub: %r" % lines)
    # MLSD's UNIX facts, as FileZilla reads them for its columns.
    facts = dict(ftp.mlsd(facts=["type", "UNIX.mode", "UNIX.owner", "UNIX.group"]))
    report = {k.lower(): v for k, v in facts["report.txt"].items()}
    want = {"unix.mode": "0%o" % (os.stat(ctx.path("report.txt")).st_mode & 0o7777),
            "unix.owner": ids[0], "unix.group": ids[1]}
    check(all(report.get(k) == v for k, v in want.items()), "MLSD facts of report.txt: %r, want %r" % (report, want))
    quit_quietly(ftp)
