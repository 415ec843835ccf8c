"""Paths and directories: PWD, MKD/CWD/CDUP/RMD, DELE, RNFR/RNTO, impossible
names, SIZE/MDTM/MFMT, and '..'/symlinks never leaving the root."""

import ftplib
import os

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
def mkd_cwd_cdup_rmd(ctx):
    """MKD creates (257 with the path), CWD/XCWD enter (250), CDUP/XCUP go up (200 or 250), RMD/XRMD remove (250); missing or existing targets get 550."""
    ftp = connect(ctx)
    resp = expect(send(ftp, "MKD alpha"), "257")
    check('"/alpha"' in resp, "MKD reply does not name /alpha: %r" % resp)
    check(os.path.isdir(ctx.path("alpha")), "MKD alpha did not create the directory")
    expect(send(ftp, "MKD alpha"), "550", "521")
    expect(send(ftp, "XMKD alpha/beta"), "257")
    check(os.path.isdir(ctx.path("alpha/beta")), "XMKD alpha/beta did not create the directory")
    expect(send(ftp, "CWD alpha"), "250")
    check(ftp.pwd() == "/alpha", "PWD after CWD alpha: %r" % ftp.pwd())
    expect(send(ftp, "XCWD beta"), "250")
    check(ftp.pwd() == "/alpha/beta", "PWD after XCWD beta: %r" % ftp.pwd())
    expect(send(ftp, "CDUP"), "200", "250")
    check(ftp.pwd() == "/alpha", "PWD after CDUP: %r" % ftp.pwd())
    expect(send(ftp, "XCUP"), "200", "250")
    check(ftp.pwd() == "/", "PWD after XCUP: %r" % ftp.pwd())
    expect(send(ftp, "CWD /alpha/beta"), "250")
    expect(send(ftp, "CWD /missing"), "550")
    check(ftp.pwd() == "/alpha/beta", "a failed CWD moved the user: %r" % ftp.pwd())
    expect(send(ftp, "CWD /"), "250")
    expect(send(ftp, "RMD alpha/beta"), "250")
    expect(send(ftp, "XRMD alpha"), "250")
    check(not os.path.exists(ctx.path("alpha")), "RMD did not remove alpha")
    expect(send(ftp, "RMD alpha"), "550")
    quit_quietly(ftp)


@test
def rmd_non_empty_fails(ctx):
    """RMD of a directory that holds a file fails with 550 and leaves directory and file in place."""
    ctx.write("full/keep.txt", b"keep")
    ftp = connect(ctx)
    expect(send(ftp, "RMD full"), "550")
    check(ctx.read("full/keep.txt") == b"keep", "the file inside was lost")
    quit_quietly(ftp)


@test
def dele(ctx):
    """DELE removes a file (250); a missing file or a directory gets 550."""
    ctx.write("gone.txt", b"bye")
    os.mkdir(ctx.path("adir"))
    ftp = connect(ctx)
    expect(send(ftp, "DELE gone.txt"), "250")
    check(not os.path.exists(ctx.path("gone.txt")), "DELE did not remove the file")
    expect(send(ftp, "DELE gone.txt"), "550")
    expect(send(ftp, "DELE adir"), "550")
    check(os.path.isdir(ctx.path("adir")), "DELE removed a directory")
    quit_quietly(ftp)


@test
def rename_files_and_dirs(ctx):
    """RNFR (350) + RNTO (250) renames files, moves them between directories and renames non-empty directories; RNFR of a missing name is 550, RNTO without RNFR is 503."""
    ctx.write("a.txt", b"AAA")
    ctx.write("tree/inner/deep.txt", b"deep")
    os.mkdir(ctx.path("target"))
    ftp = connect(ctx)
    expect(send(ftp, "RNFR a.txt"), "350")
    expect(send(ftp, "RNTO b.txt"), "250")
    check(not os.path.exists(ctx.path("a.txt")) and ctx.read("b.txt") == b"AAA", "file rename")
    expect(send(ftp, "RNFR b.txt"), "350")
    expect(send(ftp, "RNTO target/c.txt"), "250")
    check(ctx.read("target/c.txt") == b"AAA", "move into another directory")
    expect(send(ftp, "RNFR tree"), "350")
    expect(send(ftp, "RNTO forest"), "250")
    check(ctx.read("forest/inner/deep.txt") == b"deep" and not os.path.exists(ctx.path("tree")),
          "directory rename lost its contents")
    expect(send(ftp, "RNFR missing.txt"), "550")
    expect(send(ftp, "RNTO whatever.txt"), "503")
    quit_quietly(ftp)


@test
def rnto_must_follow_rnfr(ctx):
    """RNTO must come right after RNFR (RFC 959 4.1.3): after RNFR then NOOP, RNTO gets 503 and renames nothing."""
    ctx.write("c.txt", b"CCC")
    ftp = connect(ctx)
    expect(send(ftp, "RNFR c.txt"), "350")
    expect(send(ftp, "NOOP"), "200")
    expect(send(ftp, "RNTO d.txt"), "503")
    check(ctx.read("c.txt") == b"CCC" and not os.path.exists(ctx.path("d.txt")), "RNTO after NOOP renamed the file")
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
