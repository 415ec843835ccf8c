"""Logging in and out: USER/PASS, failed-login limits and delay, commands before
login, anonymous access, HOST and REIN."""

import os
import time

from .harness import (
    USER, PASSWORD, check, code_of, expect, expect_class, connect, send, quit_quietly,
    expect_refused, retr, stor, mlsx_facts, test,
)
from .raw import Raw


@test
def login_good(ctx):
    """USER/PASS with the right password gives 331 then 230, and the user starts in /."""
    ftp = connect(ctx, login=False)
    expect(send(ftp, "USER " + USER), "331")
    expect(send(ftp, "PASS " + PASSWORD), "230")
    check(ftp.pwd() == "/", "initial directory is %r, not /" % ftp.pwd())
    quit_quietly(ftp)


@test
def login_bad_password(ctx):
    """A wrong password gets 530, leaves the user logged out (PWD gets 530), and a retry with the right one works."""
    ftp = connect(ctx, login=False)
    expect(send(ftp, "USER " + USER), "331")
    expect(send(ftp, "PASS wrong"), "530")
    expect(send(ftp, "PWD"), "530")
    expect(send(ftp, "USER nobody"), "331", "530")
    expect(send(ftp, "PASS whatever"), "530", "503")
    expect(send(ftp, "USER " + USER), "331")
    expect(send(ftp, "PASS " + PASSWORD), "230")
    expect(send(ftp, "PWD"), "257")
    quit_quietly(ftp)


def _closes_after(ctx, failures):
    raw = Raw(ctx)
    for attempt in range(1, failures + 1):
        expect(raw.cmd("USER " + USER), "331")
        resp = raw.cmd("PASS wrong-%d" % attempt)
        if attempt < failures:
            expect(resp, "530")
        else:
            expect(resp, "530", "421")
    raw.expect_closed()


@test
def login_closes_after_three_failures(ctx):
    """With --max-login-failures 3, the third wrong password ends the session: 530 (or 421), then the server closes the connection."""
    _closes_after(ctx, 3)


@test
def login_closes_after_configured_failures(ctx):
    """--max-login-failures 2 ends the session after the second wrong password."""
    _closes_after(ctx, 2)


@test
def login_failure_is_delayed_by_default(ctx):
    """Without --failed-login-delay-ms, a wrong password is answered only after a delay (default 1 s; at least 0.5 s here)."""
    raw = Raw(ctx)
    expect(raw.cmd("USER " + USER), "331")
    start = time.monotonic()
    expect(raw.cmd("PASS wrong"), "530")
    elapsed = time.monotonic() - start
    check(elapsed >= 0.5, "530 came after %.3f s; expected a delay of about 1 s" % elapsed)
    raw.close()


@test
def prelogin_commands(ctx):
    """Before login, file and transfer commands get 530 and change nothing on disk, while FEAT, SYST, HELP, NOOP and QUIT work."""
    ctx.write("secret.txt", b"top secret")
    raw = Raw(ctx)
    for cmd in ["LIST", "NLST", "MLSD", "PWD", "CWD /", "CDUP", "RETR secret.txt", "STOR new.txt",
                "APPE new.txt", "DELE secret.txt", "MKD newdir", "RMD newdir", "RNFR secret.txt",
                "SIZE secret.txt", "MDTM secret.txt", "MLST secret.txt", "STAT /", "PASV", "EPSV",
                "PORT 127,0,0,1,200,10", "EPRT |1|127.0.0.1|51210|", "REST 10", "STOU"]:
        expect(raw.cmd(cmd), "530")
    expect(raw.cmd("FEAT"), "211")
    expect(raw.cmd("SYST"), "215")
    expect(raw.cmd("HELP"), "214", "211")
    expect(raw.cmd("NOOP"), "200")
    expect(raw.cmd("QUIT"), "221")
    raw.expect_closed()
    check(sorted(os.listdir(ctx.root)) == ["secret.txt"],
          "pre-login commands changed the root: %r" % os.listdir(ctx.root))
    check(ctx.read("secret.txt") == b"top secret", "secret.txt changed")


@test
def anonymous_off_by_default(ctx):
    """Without --anonymous, 'anonymous' and 'ftp' cannot log in (530)."""
    for user in ["anonymous", "ftp"]:
        ftp = connect(ctx, login=False)
        resp = send(ftp, "USER " + user)
        if code_of(resp) == "331":
            resp = send(ftp, "PASS guest@example.com")
        expect(resp, "530")
        ftp.close()


@test
def anonymous_read_only(ctx):
    """With --anonymous, anonymous/ftp log in with any password, can list and RETR, and every write is refused (550/553) leaving the disk unchanged."""
    ctx.write("pub/readme.txt", b"hello anonymous\n")
    ctx.write("pub/other.txt", b"keep me\n")
    for user in ["anonymous", "ftp"]:
        ftp = connect(ctx, login=False)
        expect(ftp.login(user, "guest@example.com"), "230")
        check(retr(ftp, "pub/readme.txt") == b"hello anonymous\n", "RETR as %s returned wrong bytes" % user)
        check(sorted(ftp.nlst("pub")) in (["other.txt", "readme.txt"], ["pub/other.txt", "pub/readme.txt"]),
              "NLST pub as %s: %r" % (user, ftp.nlst("pub")))
        expect_refused(lambda: stor(ftp, "pub/upload.txt", b"nope"), "550", "553")
        expect_refused(lambda: stor(ftp, "pub/other.txt", b"nope", cmd="APPE"), "550", "553")
        ftp.voidcmd("TYPE I")
        for cmd in ["MKD pub/newdir", "RMD pub", "DELE pub/other.txt", "MFMT 20000101000000 pub/other.txt",
                    "SITE CHMOD 777 pub/other.txt"]:
            expect_class(send(ftp, cmd), "5")
        resp = send(ftp, "RNFR pub/other.txt")
        if code_of(resp) == "350":
            resp = send(ftp, "RNTO pub/renamed.txt")
        expect_class(resp, "5")
        # MLSD perm facts of a read-only user allow no writes.
        lines = []
        ftp.retrlines("MLSD pub", lines.append)
        for line in lines:
            facts, name = mlsx_facts(line)
            if facts.get("type") == "file" and "perm" in facts:
                check(not set(facts["perm"].lower()) & set("acdfmpw"),
                      "read-only user's perm fact for %s allows writes: %r" % (name, facts["perm"]))
        quit_quietly(ftp)
    check(sorted(os.listdir(ctx.path("pub"))) == ["other.txt", "readme.txt"],
          "the anonymous user changed pub/: %r" % os.listdir(ctx.path("pub")))
    check(ctx.read("pub/other.txt") == b"keep me\n", "pub/other.txt changed")


@test
def host_command(ctx):
    """HOST (RFC 7151) before login is accepted with 220; after login it is refused with 503."""
    ftp = connect(ctx, login=False)
    expect(send(ftp, "HOST localhost"), "220")
    ftp.login(USER, PASSWORD)
    expect(send(ftp, "PWD"), "257")
    expect(send(ftp, "HOST localhost"), "503")
    quit_quietly(ftp)


@test
def rein_logs_out(ctx):
    """REIN answers 220 and logs the user out (PWD gets 530) while keeping the connection, and a new login works."""
    raw = Raw(ctx)
    raw.login()
    expect(raw.cmd("REIN"), "220")
    expect(raw.cmd("PWD"), "530")
    raw.login()
    expect(raw.cmd("PWD"), "257")
    raw.close()
