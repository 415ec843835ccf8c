"""Logging in through wharfd's own settings: --max-login-failures, the
default failed-login delay, and --anonymous.

USER/PASS sequencing, commands before login, HOST and REIN need no real
client; they are checked in process in wharf-session's transcripts
(crates/wharf-session/src/transcripts/login.rs, server_info.rs)."""

import os
import time

from .harness import (
    USER, check, code_of, expect, expect_class, connect, send, quit_quietly,
    expect_refused, retr, stor, mlsx_facts, test,
)
from .raw import Raw


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
