"""Directory listings: MLSD, MLST, NLST, LIST and STAT with a path."""

import os

from .harness import (
    check, expect, connect, send, quit_quietly, reply_lines, expect_refused, mlsx_facts, utc,
    set_mtime, test,
)


def _listing_fixture(ctx):
    path = ctx.write("report.txt", b"12345")
    set_mtime(path, utc(2022, 3, 4, 5, 6, 7))
    ctx.write("sub/inner.bin", b"inner")
    ctx.write("with space.txt", b"sp")
    return {"report.txt": 5, "with space.txt": 2}


@test
def mlsd_facts(ctx):
    """MLSD lists each entry once with type, size (files), modify (UTC) and perm facts; cdir/pdir, when sent, have those types."""
    _listing_fixture(ctx)
    ftp = connect(ctx)
    lines = []
    resp = ftp.retrlines("MLSD", lines.append)
    expect(resp, "226", "250")
    entries = {}
    for line in lines:
        facts, name = mlsx_facts(line)
        check("type" in facts, "MLSD line without type: %r" % line)
        kind = facts["type"].lower()
        if kind in ("cdir", "pdir"):
            continue
        check(name not in entries, "MLSD lists %r twice" % name)
        entries[name] = facts
    check(sorted(entries) == ["report.txt", "sub", "with space.txt"], "MLSD names: %r" % sorted(entries))
    report = entries["report.txt"]
    check(report["type"].lower() == "file", "report.txt type %r" % report["type"])
    check(report.get("size") == "5", "report.txt size %r" % report.get("size"))
    check(report.get("modify", "")[:14] == "20220304050607", "report.txt modify %r" % report.get("modify"))
    check("r" in report.get("perm", "") and "w" in report.get("perm", ""),
          "report.txt perm %r should allow r and w" % report.get("perm"))
    sub = entries["sub"]
    check(sub["type"].lower() == "dir", "sub type %r" % sub["type"])
    check("e" in sub.get("perm", "") and "l" in sub.get("perm", ""), "sub perm %r should allow e and l" % sub.get("perm"))
    check(entries["with space.txt"].get("size") == "2", "name with space: %r" % entries["with space.txt"])
    # MLSD of a file is an error (RFC 3659 7.2.1).
    expect_refused(lambda: ftp.retrlines("MLSD report.txt", lines.append), "501", "550")
    quit_quietly(ftp)


@test
def mlst_one_file(ctx):
    """MLST of a file is a 250 multi-line reply with one fact line (starting with a space) describing it; a missing file gets 550."""
    _listing_fixture(ctx)
    ftp = connect(ctx)
    resp = expect(send(ftp, "MLST report.txt"), "250")
    lines = reply_lines(resp)
    check(len(lines) == 3 and lines[0].startswith("250-") and lines[2].startswith("250"),
          "MLST reply shape: %r" % resp)
    check(lines[1].startswith(" "), "MLST fact line must start with a space: %r" % lines[1])
    facts, name = mlsx_facts(lines[1])
    check(name in ("report.txt", "/report.txt"), "MLST names %r" % name)
    check(facts.get("type", "").lower() == "file" and facts.get("size") == "5", "MLST facts %r" % facts)
    check(facts.get("modify", "")[:14] == "20220304050607", "MLST modify %r" % facts.get("modify"))
    expect(send(ftp, "MLST missing.txt"), "550")
    quit_quietly(ftp)


@test
def nlst_names(ctx):
    """NLST lists exactly the names in the directory; NLST of a subdirectory lists its entries."""
    _listing_fixture(ctx)
    ftp = connect(ctx)
    check(sorted(ftp.nlst()) == ["report.txt", "sub", "with space.txt"], "NLST: %r" % ftp.nlst())
    check([os.path.basename(n) for n in ftp.nlst("sub")] == ["inner.bin"], "NLST sub: %r" % ftp.nlst("sub"))
    quit_quietly(ftp)


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
    extra = set(by_name) - set(sizes) - {"sub", ".", ".."}
    check(not extra, "LIST -la lists unexpected entries %r" % extra)
    lines = []
    ftp.retrlines("LIST sub", lines.append)
    lines = [line for line in lines if not line.startswith("total")]
    check(len(lines) == 1 and lines[0].endswith(" inner.bin"), "LIST sub: %r" % lines)
    quit_quietly(ftp)


@test
def stat_with_path(ctx):
    """STAT with a path lists it over the control connection (211/212/213 multi-line), STAT of a missing path gets 450 or 550."""
    _listing_fixture(ctx)
    ftp = connect(ctx)
    resp = expect(send(ftp, "STAT report.txt"), "211", "212", "213")
    check("report.txt" in resp, "STAT report.txt: %r" % resp)
    resp = expect(send(ftp, "STAT /"), "211", "212", "213")
    for name in ["report.txt", "sub", "with space.txt"]:
        check(name in resp, "STAT / lacks %r: %r" % (name, resp))
    check(reply_lines(resp)[-1][:4] in ("211 ", "212 ", "213 "), "STAT / is not terminated: %r" % resp)
    expect(send(ftp, "STAT missing"), "450", "550")
    quit_quietly(ftp)
