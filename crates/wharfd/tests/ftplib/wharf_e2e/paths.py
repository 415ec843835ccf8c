"""Paths on local disk: ftplib reading a PWD reply with doubled quotes,
impossible names (the disk's limits, the local back-end's temporary upload
names), SIZE/MDTM/MFMT against the disk's mtime, and '..'/symlinks never
leaving the root.

MKD/CWD/CDUP/RMD, DELE and RNFR/RNTO sequencing need no real client; they
are checked in process in wharf-session's transcripts
(crates/wharf-session/src/transcripts/paths.rs, rename.rs)."""

import ftplib
import hashlib
import os
import zlib

from .harness import (
    check, code_of, expect, connect, send, quit_quietly, expect_refused, retr, stor, utc, set_mtime,
    random_data, test,
)


# Navigation and directories


@test
def pwd_quoting(ctx):
    '''PWD doubles quotes inside the path, 257 "/dir ""q""" (RFC 959 appendix II), and ftplib reads the name back.'''
    ftp = connect(ctx)
    expect(send(ftp, 'MKD dir "q"'), "257")
    check(os.path.isdir(ctx.path('dir "q"')), 'MKD did not create dir "q"')
    expect(send(ftp, 'CWD dir "q"'), "250")
    resp = send(ftp, "PWD")
    check(resp.startswith('257 "/dir ""q"""'), "PWD reply %r" % resp)
    check(ftp.pwd() == '/dir "q"', "ftplib parses PWD as %r" % ftp.pwd())
    quit_quietly(ftp)


@test
def bad_names(ctx):
    """Impossible names get 550 or 553 and the session goes on: a path through a file, STOR onto a directory, CWD into a file, a name of thousands of bytes, and the back-end's temporary upload names."""
    ctx.write("plain.txt", b"plain")
    os.mkdir(ctx.path("somedir"))
    ftp = connect(ctx)
    ftp.voidcmd("TYPE I")
    expect(send(ftp, "MKD plain.txt/sub"), "550", "553")
    expect(send(ftp, "CWD plain.txt"), "550")
    expect(send(ftp, "RMD plain.txt"), "550")
    expect(send(ftp, "SIZE somedir"), "550")
    expect_refused(lambda: stor(ftp, "somedir", b"data"), "550", "553")
    check(os.path.isdir(ctx.path("somedir")), "STOR replaced a directory")
    expect(send(ftp, "MKD " + "n" * 3000), "553", "550", "501")
    expect_refused(lambda: stor(ftp, ".wharf-upload-probe", b"data"), "550", "553")
    expect(send(ftp, "NOOP"), "200")
    check(sorted(os.listdir(ctx.root)) == ["plain.txt", "somedir"], "root changed: %r" % os.listdir(ctx.root))
    quit_quietly(ftp)


# File facts


@test
def size_mdtm_mfmt(ctx):
    """SIZE gives the byte size (213), MDTM the UTC modification time (213 YYYYMMDDHHMMSS), MFMT sets it (213 Modify=...) so that MDTM and the disk show the new time; missing files get 550."""
    path = ctx.write("facts.bin", random_data(12345, 1))
    set_mtime(path, utc(2021, 6, 15, 12, 34, 56))
    ftp = connect(ctx)
    ftp.voidcmd("TYPE I")
    resp = send(ftp, "SIZE facts.bin")
    check(resp == "213 12345", "SIZE reply %r, expected '213 12345'" % resp)
    expect(send(ftp, "SIZE missing.bin"), "550")
    resp = expect(send(ftp, "MDTM facts.bin"), "213")
    check(resp[4:18] == "20210615123456", "MDTM reply %r, expected 20210615123456" % resp)
    expect(send(ftp, "MDTM missing.bin"), "550")
    resp = expect(send(ftp, "MFMT 20200102030405 facts.bin"), "213")
    check("modify=20200102030405" in resp.lower(), "MFMT reply %r" % resp)
    resp = expect(send(ftp, "MDTM facts.bin"), "213")
    check(resp[4:18] == "20200102030405", "MDTM after MFMT: %r" % resp)
    check(int(os.stat(path).st_mtime) == utc(2020, 1, 2, 3, 4, 5), "MFMT did not change the mtime on disk")
    expect(send(ftp, "MFMT 20200102030405 missing.bin"), "550")
    expect(send(ftp, "MFMT notatime facts.bin"), "501", "500")
    quit_quietly(ftp)


@test
def checksums_match_the_file_on_disk(ctx):
    """HASH (each OPTS HASH algorithm, and a RANG range) and XCRC/XMD5/XSHA1/XSHA256/XSHA512 (whole and ranged) give what hashlib and zlib compute from the file on disk; SITE UTIME sets the time on disk."""
    data = random_data(300000, 7)
    path = ctx.write("sums dir/big file.bin", data)
    ftp = connect(ctx)
    ftp.voidcmd("TYPE A")  # HASH is of the stored bytes whatever TYPE says
    crc = lambda b: "%08x" % (zlib.crc32(b) & 0xFFFFFFFF)
    for name, digest in [("SHA-256", lambda b: hashlib.sha256(b).hexdigest()),
                         ("SHA-512", lambda b: hashlib.sha512(b).hexdigest()),
                         ("SHA-1", lambda b: hashlib.sha1(b).hexdigest()),
                         ("MD5", lambda b: hashlib.md5(b).hexdigest()),
                         ("CRC32", crc)]:
        check(send(ftp, "OPTS HASH " + name) == "200 " + name, "OPTS HASH %s" % name)
        resp = send(ftp, "HASH /sums dir/big file.bin")
        want = "213 %s 0-%d %s /sums dir/big file.bin" % (name, len(data) - 1, digest(data))
        check(resp == want, "HASH %s: %r, expected %r" % (name, resp, want))
    expect(send(ftp, "RANG 1000 1999"), "350")
    resp = send(ftp, "HASH /sums dir/big file.bin")
    check(resp.split()[1:4] == ["CRC32", "1000-1999", crc(data[1000:2000])], "ranged HASH: %r" % resp)
    for verb, digest in [("XCRC", crc), ("XMD5", lambda b: hashlib.md5(b).hexdigest()),
                         ("XSHA1", lambda b: hashlib.sha1(b).hexdigest()),
                         ("XSHA256", lambda b: hashlib.sha256(b).hexdigest()),
                         ("XSHA512", lambda b: hashlib.sha512(b).hexdigest())]:
        resp = send(ftp, '%s "/sums dir/big file.bin"' % verb)
        check(resp == "250 " + digest(data), "%s: %r" % (verb, resp))
        resp = send(ftp, '%s "/sums dir/big file.bin" 5 70000' % verb)
        check(resp == "250 " + digest(data[5:70000]), "%s ranged: %r" % (verb, resp))
    expect(send(ftp, "HASH /sums dir"), "553")
    expect(send(ftp, "SITE UTIME 202201020304 /sums dir/big file.bin"), "200")
    check(int(os.stat(path).st_mtime) == utc(2022, 1, 2, 3, 4, 0), "SITE UTIME did not change the mtime on disk")
    quit_quietly(ftp)


# Security


@test
def path_traversal_stays_in_root(ctx):
    """'..' and symlinks never reach outside the root: RETR/SIZE/CWD/MKD/STOR with ../ paths stay inside (CWD ../.. leads to /), links leading out fail."""
    secret = os.path.join(ctx.outside, "outside-secret.txt")
    with open(secret, "wb") as f:
        f.write(b"must not leak")
    ctx.write("inside.txt", b"inside")
    os.symlink(ctx.outside, ctx.path("dirlink"))
    os.symlink(secret, ctx.path("filelink"))
    ftp = connect(ctx)
    ftp.voidcmd("TYPE I")
    for path in ["../outside-secret.txt", "../../outside-secret.txt", "/../outside-secret.txt",
                 "../../../../../../etc/passwd", "dirlink/outside-secret.txt", "filelink"]:
        expect(send(ftp, "SIZE " + path), "550")
        expect_refused(lambda: retr(ftp, path), "550")
    expect(send(ftp, "CWD dirlink"), "550")
    resp = send(ftp, "CWD ../..")
    check(code_of(resp) in ("250", "550"), "CWD ../..: %r" % resp)
    check(ftp.pwd() == "/", "PWD after CWD ../.. is %r" % ftp.pwd())
    # At the top, '..' is '/': the file inside is what ../inside.txt names.
    check(retr(ftp, "../../inside.txt") == b"inside", "../../inside.txt should be /inside.txt")
    resp = send(ftp, "MKD ../escaped")
    check(code_of(resp) in ("257", "550", "553"), "MKD ../escaped: %r" % resp)
    try:
        stor(ftp, "../../written.txt", b"x")
    except ftplib.Error:
        pass
    for name in ["escaped", "written.txt"]:
        check(not os.path.exists(os.path.join(ctx.outside, name)), "%s was created outside the root" % name)
    lines = []
    try:
        ftp.retrlines("NLST dirlink", lines.append)
    except ftplib.Error:
        pass
    check(not any("outside-secret" in line for line in lines), "listing through a link escaped: %r" % lines)
    expect(send(ftp, "RNFR ../outside-secret.txt"), "550")
    with open(secret, "rb") as f:
        check(f.read() == b"must not leak", "the outside file changed")
    quit_quietly(ftp)
