#!/usr/bin/env python3
"""Protocol-level end-to-end tests of wharfd, driven by Python's ftplib.

Usage:
    python3 suite.py TEST_NAME HOST PORT ROOT_DIR
    python3 suite.py --list

Each test is one function below; it talks to an already running server at
HOST:PORT whose `/` is ROOT_DIR on local disk (so a test can put fixtures in
place and check results byte for byte on disk). The server runs with user
alice:secret, `--failed-login-delay-ms 0` and whatever extra flags the Rust
wrapper (`tests/e2e_ftplib.rs`) gives that test. Exit status 0 means the test
passed; on failure the script prints the assertion and the last lines
exchanged with the server.

Only the standard library is used. Every socket has a timeout and every loop
a bound.
"""

import calendar
import collections
import ftplib
import hashlib
import io
import os
import re
import socket
import struct
import sys
import threading
import time
import traceback

USER, PASSWORD = "alice", "secret"
TIMEOUT = 10.0  # seconds, for every socket operation

# The last lines exchanged with the server, printed when a test fails.
TRANSCRIPT = collections.deque(maxlen=80)
_transcript_lock = threading.Lock()


def note(direction, line):
    """Records one line of the conversation (passwords masked)."""
    if isinstance(line, bytes):
        line = line.decode("utf-8", "backslashreplace")
    if direction == ">" and line[:5].upper() == "PASS ":
        line = "PASS ****"
    if len(line) > 300:
        line = line[:300] + "...(%d chars)" % len(line)
    name = threading.current_thread().name
    prefix = "" if name == "MainThread" else "[%s] " % name
    with _transcript_lock:
        TRANSCRIPT.append("%s%s %s" % (prefix, direction, line.rstrip("\r\n")))


class FTP(ftplib.FTP):
    """ftplib.FTP that records what it sends and receives."""

    def putline(self, line):
        note(">", line)
        super().putline(line)

    def getline(self):
        line = super().getline()
        note("<", line)
        return line


class Ctx:
    """Where the server is and what it serves."""

    def __init__(self, host, port, root):
        self.host = host
        self.port = port
        self.root = os.path.abspath(root)
        self.outside = os.path.dirname(self.root)

    def path(self, rel):
        """The local path of the served path `/rel`."""
        return os.path.join(self.root, rel)

    def write(self, rel, data):
        """Puts a fixture file on disk under the root."""
        path = self.path(rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def read(self, rel):
        with open(self.path(rel), "rb") as f:
            return f.read()


# --- small helpers ------------------------------------------------------------


def check(cond, message):
    """assert that survives `python3 -O`."""
    if not cond:
        raise AssertionError(message)


def code_of(resp):
    return resp[:3]


def expect(resp, *codes):
    """Asserts that the reply `resp` starts with one of `codes`."""
    check(code_of(resp) in codes, "expected a %s reply, got %r" % (" or ".join(codes), resp))
    return resp


def expect_class(resp, digit):
    """Asserts that the reply is a `digit`xx reply (e.g. '5')."""
    check(resp[:1] == digit and resp[:3].isdigit(), "expected a %sxx reply, got %r" % (digit, resp))
    return resp


def connect(ctx, login=True, user=USER, password=PASSWORD, timeout=TIMEOUT):
    """A logged-in ftplib client (or only connected when login=False)."""
    ftp = FTP()
    ftp.encoding = "utf-8"
    ftp.connect(ctx.host, ctx.port, timeout=timeout)
    if login:
        ftp.login(user, password)
    ftp.sock.settimeout(TIMEOUT)
    return ftp


def send(ftp, cmd):
    """Sends `cmd` and returns the complete reply, whatever its code."""
    ftp.putcmd(cmd)
    return ftp.getmultiline()


def quit_quietly(ftp):
    try:
        ftp.quit()
    except (OSError, EOFError, ftplib.Error):
        ftp.close()


def reply_lines(resp):
    return resp.split("\n")


def data_port(ftp, mode):
    """Opens a passive data port with `mode` ('PASV' or 'EPSV'); returns (host, port)."""
    if mode == "PASV":
        return ftplib.parse227(expect(send(ftp, "PASV"), "227"))
    resp = expect(send(ftp, "EPSV"), "229")
    return ftplib.parse229(resp, ftp.sock.getpeername())


def transfer(ftp, cmd, mode="EPSV", upload=None, chunks=None):
    """Runs one transfer command over a passive data connection opened with `mode`.

    For a download (upload is None) returns (final reply, bytes received).
    For an upload, sends `upload` (or each of `chunks`, with small pauses, so
    that they reach the server as separate segments) and returns
    (final reply, b"").
    """
    host, port = data_port(ftp, mode)
    with socket.create_connection((host, port), timeout=TIMEOUT) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        expect(send(ftp, cmd), "150", "125")
        received = bytearray()
        if upload is None and chunks is None:
            for _ in range(1 << 20):
                block = conn.recv(65536)
                if not block:
                    break
                received += block
        else:
            for i, chunk in enumerate(chunks if chunks is not None else [upload]):
                if i:
                    time.sleep(0.05)
                conn.sendall(chunk)
    return ftp.getmultiline(), bytes(received)


def expect_refused(action, *codes):
    """Runs a transfer through ftplib (which opens the data channel first) and
    asserts the server refuses it with one of `codes`."""
    try:
        action()
    except ftplib.Error as e:
        return expect(str(e), *codes)
    check(False, "expected a %s reply, but the command succeeded" % " or ".join(codes))


def retr(ftp, name, rest=None):
    """RETR in TYPE I through ftplib; returns the bytes."""
    out = bytearray()
    ftp.retrbinary("RETR " + name, out.extend, rest=rest)
    return bytes(out)


def stor(ftp, name, data, rest=None, cmd="STOR"):
    """STOR (or APPE) in TYPE I through ftplib; returns the final reply."""
    return ftp.storbinary("%s %s" % (cmd, name), io.BytesIO(data), rest=rest)


def mlsx_facts(line):
    """Parses an MLSx line 'fact=val;fact=val; name' into ({fact: val}, name)."""
    facts_part, _, name = line.lstrip(" ").partition(" ")
    facts = {}
    for fact in facts_part.split(";"):
        if fact:
            key, _, value = fact.partition("=")
            facts[key.lower()] = value
    return facts, name


def utc(year, month, day, hour, minute, second):
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))


def set_mtime(path, when):
    os.utime(path, (when, when))


def random_data(size, seed):
    """Deterministic pseudo-random bytes (sha256 in counter mode)."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(b"%d:%d" % (seed, counter)).digest()
        counter += 1
    return bytes(out[:size])


class Raw:
    """A control connection at the byte level, for framing tests."""

    def __init__(self, ctx, expect_greeting=True):
        self.sock = socket.create_connection((ctx.host, ctx.port), timeout=TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        if expect_greeting:
            expect(self.reply(), "220")

    def send(self, data):
        note(">", data if len(data) < 300 else data[:300] + b"...(%d bytes)" % len(data))
        self.sock.sendall(data)

    def cmd(self, line):
        """Sends one command line (str or bytes) and returns its reply."""
        if isinstance(line, str):
            line = line.encode("utf-8")
        self.send(line + b"\r\n")
        return self.reply()

    def readline(self, timeout=TIMEOUT):
        """One reply line without CRLF; raises EOFError when the server closed."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            check(left > 0, "no complete reply line within %.1f s (have %r)" % (timeout, self.buf[:200]))
            self.sock.settimeout(left)
            block = self.sock.recv(65536)
            if not block:
                raise EOFError("the server closed the control connection")
            self.buf += block
        line, _, self.buf = self.buf.partition(b"\n")
        line = line.rstrip(b"\r").decode("utf-8", "backslashreplace")
        note("<", line)
        return line

    def reply(self, timeout=TIMEOUT):
        """One complete reply (multi-line replies joined with '\\n')."""
        first = self.readline(timeout)
        check(re.match(r"^\d{3}[ -]", first) is not None, "malformed reply line %r" % first)
        lines = [first]
        if first[3] == "-":
            for _ in range(100000):
                line = self.readline(timeout)
                lines.append(line)
                if line[:3] == first[:3] and line[3:4] == " ":
                    break
            else:
                check(False, "multi-line reply does not end")
        return "\n".join(lines)

    def assert_quiet(self, wait=0.3):
        """Asserts the server sends nothing more (no stray extra reply)."""
        check(self.buf == b"", "unexpected extra data from server: %r" % self.buf[:200])
        self.sock.settimeout(wait)
        try:
            extra = self.sock.recv(4096)
        except socket.timeout:
            return
        finally:
            self.sock.settimeout(TIMEOUT)
        check(extra == b"", "unexpected extra reply from server: %r" % extra[:200])

    def login(self):
        expect(self.cmd("USER " + USER), "331")
        expect(self.cmd("PASS " + PASSWORD), "230")

    def expect_closed(self, timeout=5.0):
        """Asserts the server closes the connection (a 421 before it is fine)."""
        deadline = time.monotonic() + timeout
        for _ in range(10):
            left = deadline - time.monotonic()
            check(left > 0, "the connection stayed open for %.0f s" % timeout)
            try:
                line = self.readline(left)
            except (EOFError, ConnectionResetError, BrokenPipeError):
                return
            except (socket.timeout, AssertionError):
                check(False, "the connection stayed open for %.0f s" % timeout)
            check(line.startswith("421"), "expected the connection to close, got %r" % line)
        check(False, "the connection stayed open")

    def close(self):
        self.sock.close()


# --- the tests ------------------------------------------------------------------

TESTS = {}


def test(fn):
    TESTS[fn.__name__] = fn
    return fn


# Login


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


# Server information


@test
def feat_lists_extensions(ctx):
    """FEAT is a 211 multi-line reply whose lines start with a space and include EPSV, EPRT, MLST, SIZE, MDTM, REST STREAM and UTF8."""
    ftp = connect(ctx)
    resp = expect(send(ftp, "FEAT"), "211")
    lines = reply_lines(resp)
    check(lines[0].startswith("211-") and lines[-1].startswith("211 "), "FEAT is not multi-line: %r" % resp)
    features = {}
    for line in lines[1:-1]:
        check(line.startswith(" "), "FEAT line without leading space: %r" % line)
        name, _, params = line.strip().partition(" ")
        features[name.upper()] = params
    for required in ["EPSV", "EPRT", "MLST", "SIZE", "MDTM", "REST", "UTF8"]:
        check(required in features, "FEAT lacks %s: %r" % (required, resp))
    check(features["REST"].upper() == "STREAM", "FEAT says REST %r, expected REST STREAM" % features["REST"])
    mlst_facts = {f.rstrip("*").lower() for f in features["MLST"].split(";") if f}
    check({"type", "size", "modify"} <= mlst_facts, "MLST line lists facts %r" % features["MLST"])
    quit_quietly(ftp)


@test
def opts_utf8(ctx):
    """OPTS UTF8 ON is accepted with 200."""
    ftp = connect(ctx)
    expect(send(ftp, "OPTS UTF8 ON"), "200")
    quit_quietly(ftp)


@test
def syst_stat_help_noop(ctx):
    """SYST says '215 UNIX Type: L8'; STAT without argument is 211; HELP is 214; NOOP is 200."""
    ftp = connect(ctx)
    check(send(ftp, "SYST").startswith("215 UNIX Type: L8"), "SYST reply")
    expect(send(ftp, "STAT"), "211")
    expect(send(ftp, "HELP"), "214")
    expect(send(ftp, "NOOP"), "200")
    quit_quietly(ftp)


@test
def transfer_parameters(ctx):
    """TYPE I/A/L 8, MODE S and STRU F are accepted (200); MODE B (not yet supported) and unknown TYPE/STRU get 504 or 501; ACCT gets 202; ALLO gets 200 or 202."""
    ftp = connect(ctx)
    for cmd in ["TYPE I", "TYPE A", "TYPE A N", "TYPE L 8", "MODE S", "STRU F"]:
        expect(send(ftp, cmd), "200")
    for cmd in ["MODE B", "TYPE X", "STRU R"]:
        expect(send(ftp, cmd), "504", "501")
    expect(send(ftp, "ACCT billing"), "202")
    expect(send(ftp, "ALLO 1000"), "200", "202")
    quit_quietly(ftp)


@test
def site_commands(ctx):
    """SITE HELP gets 214, SITE CHMOD 640 changes the permission bits on disk (200), unknown SITE commands get 502 (or 500/504)."""
    path = ctx.write("mode.txt", b"x")
    os.chmod(path, 0o644)
    ftp = connect(ctx)
    expect(send(ftp, "SITE HELP"), "214")
    expect(send(ftp, "SITE CHMOD 640 mode.txt"), "200")
    mode = os.stat(path).st_mode & 0o777
    check(mode == 0o640, "SITE CHMOD 640 left mode %o" % mode)
    expect(send(ftp, "SITE CHMOD 600 missing.txt"), "550")
    expect(send(ftp, "SITE FROBNICATE"), "502", "500", "504")
    quit_quietly(ftp)


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


# Transfers


@test
def stor_retr_binary(ctx):
    """STOR then RETR in TYPE I round-trips 1 MiB holding every byte value, byte for byte, and the file on disk is identical."""
    data = bytes(range(256)) * 1024 + random_data(1 << 20, 2)
    ftp = connect(ctx)
    expect(stor(ftp, "binary.bin", data), "226", "250")
    check(ctx.read("binary.bin") == data, "the file on disk differs from what was sent")
    check(retr(ftp, "binary.bin") == data, "RETR returned different bytes")
    # Also over PASV explicitly, and an empty file.
    resp, got = transfer(ftp, "RETR binary.bin", mode="PASV")
    expect(resp, "226", "250")
    check(got == data, "RETR over PASV returned different bytes")
    expect(stor(ftp, "empty.bin", b""), "226", "250")
    check(ctx.read("empty.bin") == b"" and retr(ftp, "empty.bin") == b"", "empty file round trip")
    expect_refused(lambda: retr(ftp, "missing.bin"), "550")
    quit_quietly(ftp)


@test
def type_a_retr_converts_lf_to_crlf(ctx):
    """In TYPE A, RETR sends each LF of the file as CRLF, across buffer boundaries too."""
    text = b"".join(b"line %d of the text file\n" % i for i in range(20000)) + b"\nlast line without newline"
    ctx.write("text.txt", text)
    ftp = connect(ctx)
    expect(send(ftp, "TYPE A"), "200")
    resp, got = transfer(ftp, "RETR text.txt")
    expect(resp, "226", "250")
    check(got == text.replace(b"\n", b"\r\n"), "TYPE A RETR: %d bytes, expected %d; starts %r"
          % (len(got), len(text.replace(b"\n", b"\r\n")), got[:60]))
    check(ctx.read("text.txt") == text, "RETR changed the file")
    quit_quietly(ftp)


@test
def type_a_stor_converts_crlf_to_lf(ctx):
    """In TYPE A, STOR stores CRLF as LF, also when CR and LF arrive in different TCP segments."""
    ftp = connect(ctx)
    expect(send(ftp, "TYPE A"), "200")
    resp, _ = transfer(ftp, "STOR ascii.txt", upload=b"one\r\ntwo\r\n\r\nthree")
    expect(resp, "226", "250")
    check(ctx.read("ascii.txt") == b"one\ntwo\n\nthree", "stored %r" % ctx.read("ascii.txt"))
    resp, _ = transfer(ftp, "STOR split.txt", chunks=[b"alpha\r", b"\nbeta\r", b"\n"])
    expect(resp, "226", "250")
    check(ctx.read("split.txt") == b"alpha\nbeta\n", "split CRLF stored %r" % ctx.read("split.txt"))
    quit_quietly(ftp)


@test
def rest_retr_resumes_download(ctx):
    """REST n (350) then RETR sends the file from byte n; the offset is used once (the next RETR sends everything)."""
    data = random_data(100000, 3)
    ctx.write("resume.bin", data)
    ftp = connect(ctx)
    ftp.voidcmd("TYPE I")
    got = retr(ftp, "resume.bin", rest=40000)
    check(got == data[40000:], "REST 40000 + RETR returned %d bytes" % len(got))
    check(retr(ftp, "resume.bin") == data, "a RETR after the resumed one was not complete")
    expect(send(ftp, "REST 0"), "350")
    check(retr(ftp, "resume.bin") == data, "REST 0 + RETR")
    quit_quietly(ftp)


@test
def rest_stor_resumes_upload(ctx):
    """REST n then STOR continues a partial upload at byte n: the final file is the complete original."""
    data = random_data(100000, 4)
    ctx.write("partial.bin", data[:30000])
    ftp = connect(ctx)
    ftp.voidcmd("TYPE I")
    expect(send(ftp, "SIZE partial.bin"), "213")
    expect(stor(ftp, "partial.bin", data[30000:], rest=30000), "226", "250")
    got = ctx.read("partial.bin")
    check(got == data, "resumed upload gave %d bytes, expected %d (identical: %s)"
          % (len(got), len(data), got == data))
    check(retr(ftp, "partial.bin") == data, "RETR after resumed STOR")
    quit_quietly(ftp)


@test
def appe_appends(ctx):
    """APPE adds to the end of an existing file and creates a missing one."""
    ctx.write("log.txt", b"hello ")
    ftp = connect(ctx)
    expect(stor(ftp, "log.txt", b"world", cmd="APPE"), "226", "250")
    check(ctx.read("log.txt") == b"hello world", "APPE gave %r" % ctx.read("log.txt"))
    expect(stor(ftp, "fresh.txt", b"new", cmd="APPE"), "226", "250")
    check(ctx.read("fresh.txt") == b"new", "APPE to a new file gave %r" % ctx.read("fresh.txt"))
    quit_quietly(ftp)


@test
def stou_unique_names(ctx):
    """STOU answers '150 FILE: name', stores the data under that new name, and two STOUs never reuse a name."""
    ctx.write("existing.txt", b"old")
    ftp = connect(ctx)
    ftp.voidcmd("TYPE I")
    names = []
    for payload in [b"first unique", b"second unique"]:
        host, port = data_port(ftp, "EPSV")
        with socket.create_connection((host, port), timeout=TIMEOUT) as conn:
            resp = send(ftp, "STOU")
            match = re.search(r"FILE: (.+)$", resp.split("\n")[0])
            check(code_of(resp) in ("150", "125") and match is not None, "STOU reply %r lacks 150 FILE: name" % resp)
            conn.sendall(payload)
        expect(ftp.getmultiline(), "226", "250")
        name = match.group(1).strip()
        local = ctx.path(name.lstrip("/"))
        check(os.path.isfile(local), "STOU named %r but no such file exists" % name)
        with open(local, "rb") as f:
            check(f.read() == payload, "STOU file %r holds the wrong bytes" % name)
        names.append(name)
    check(names[0] != names[1], "two STOUs used the same name %r" % names[0])
    check(ctx.read("existing.txt") == b"old", "STOU overwrote a file")
    quit_quietly(ftp)


def _abort_large_retr(ctx, send_abort):
    """Starts RETR of a 50 MiB file, reads a little, aborts with `send_abort`, checks replies and recovery."""
    with open(ctx.path("huge.bin"), "wb") as f:
        f.truncate(50 * 1024 * 1024)
    ctx.write("small.txt", b"still works")
    ftp = connect(ctx)
    ftp.voidcmd("TYPE I")
    conn = ftp.transfercmd("RETR huge.bin")
    try:
        received = 0
        for _ in range(1000):
            block = conn.recv(65536)
            check(block, "the data connection closed after %d bytes" % received)
            received += len(block)
            if received >= 256 * 1024:
                break
        send_abort(ftp)
        first = ftp.getmultiline()
        codes = [code_of(first)]
        if codes[0] == "426":
            codes.append(code_of(ftp.getmultiline()))
    finally:
        conn.close()
    # RFC 959: 426 (transfer aborted) then 226; 226 alone only if it had finished.
    check(codes in (["426", "226"], ["426", "225"], ["226"], ["225"]),
          "replies to ABOR: %r, expected 426 then 226" % codes)
    expect(send(ftp, "NOOP"), "200")
    check(retr(ftp, "small.txt") == b"still works", "RETR after ABOR")
    quit_quietly(ftp)


@test
def abor_during_retr(ctx):
    """ABOR as ftplib sends it (urgent data) during a 50 MiB RETR stops it: 426 then 226, and the session keeps working (NOOP 200, next RETR)."""

    def abort(ftp):
        note(">", "ABOR (MSG_OOB)")
        ftp.sock.sendall(b"ABOR\r\n", socket.MSG_OOB)

    _abort_large_retr(ctx, abort)


@test
def abor_with_telnet_synch(ctx):
    """ABOR preceded by Telnet IP and Synch (IAC IP, IAC urgent, DM) as BSD ftp sends it during a 50 MiB RETR: 426 then 226, session keeps working."""

    def abort(ftp):
        note(">", "IAC IP IAC(urgent) DM ABOR")
        ftp.sock.sendall(b"\xff\xf4\xff", socket.MSG_OOB)
        ftp.sock.sendall(b"\xf2ABOR\r\n")

    _abort_large_retr(ctx, abort)


@test
def abor_without_transfer(ctx):
    """ABOR with no transfer running gets 225 or 226 and nothing else."""
    raw = Raw(ctx)
    raw.login()
    expect(raw.cmd("ABOR"), "225", "226")
    expect(raw.cmd("PWD"), "257")
    raw.assert_quiet()
    raw.close()


@test
def control_answers_during_transfer(ctx):
    """While a 50 MiB RETR is stalled (the client does not read), NOOP gets 200 and STAT a 211/212/213 status at once; the transfer then completes with 226 and every byte."""
    size = 50 * 1024 * 1024
    with open(ctx.path("huge.bin"), "wb") as f:
        f.truncate(size)
    ftp = connect(ctx)
    ftp.voidcmd("TYPE I")
    conn = ftp.transfercmd("RETR huge.bin")
    with conn:
        received = len(conn.recv(65536))
        start = time.monotonic()
        expect(send(ftp, "NOOP"), "200")
        expect(send(ftp, "STAT"), "211", "212", "213")
        check(time.monotonic() - start < 5, "NOOP/STAT during a transfer took %.1f s" % (time.monotonic() - start))
        for _ in range(1 << 20):
            block = conn.recv(1 << 20)
            if not block:
                break
            received += len(block)
    expect(ftp.getmultiline(), "226", "250")
    check(received == size, "received %d of %d bytes" % (received, size))
    quit_quietly(ftp)


@test
def stor_reset_by_client(ctx):
    """A data connection reset by the client in the middle of STOR ends with 426 or 451 (never 226), and no file appears under the final name (atomic upload)."""
    ftp = connect(ctx)
    ftp.voidcmd("TYPE I")
    host, port = data_port(ftp, "EPSV")
    conn = socket.create_connection((host, port), timeout=TIMEOUT)
    expect(send(ftp, "STOR reset.bin"), "150", "125")
    conn.sendall(random_data(256 * 1024, 6))
    time.sleep(0.2)
    # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
    expect(ftp.getmultiline(), "426", "451")
    check(not os.path.exists(ctx.path("reset.bin")), "a reset upload left reset.bin behind")
    # The temporary file goes too (allow the server a moment to clean up).
    for _ in range(20):
        if not os.listdir(ctx.root):
            break
        time.sleep(0.1)
    check(os.listdir(ctx.root) == [], "a reset upload left %r" % os.listdir(ctx.root))
    expect(send(ftp, "NOOP"), "200")
    quit_quietly(ftp)


@test
def unicode_names(ctx):
    """UTF-8 file and directory names round-trip through MKD/PWD, STOR, NLST and RETR, and appear on disk as the same UTF-8 names."""
    names = ["café.txt", "日本語 ファイル.txt", "emoji 🚀.bin", "Ελληνικά"]
    ftp = connect(ctx)
    expect(send(ftp, "OPTS UTF8 ON"), "200")
    expect(send(ftp, "MKD répertoire"), "257")
    expect(send(ftp, "CWD répertoire"), "250")
    check(ftp.pwd() == "/répertoire", "PWD %r" % ftp.pwd())
    for name in names:
        expect(stor(ftp, name, name.encode("utf-8") * 3), "226", "250")
    listed = ftp.nlst()
    check(sorted(os.path.basename(n) for n in listed) == sorted(names), "NLST gave %r" % listed)
    for name in names:
        check(retr(ftp, name) == name.encode("utf-8") * 3, "RETR %r" % name)
    on_disk = sorted(os.listdir(os.path.join(ctx.root.encode(), "répertoire".encode("utf-8"))))
    check(on_disk == sorted(n.encode("utf-8") for n in names), "names on disk: %r" % on_disk)
    quit_quietly(ftp)


@test
def non_utf8_names(ctx):
    """A name in a legacy 8-bit encoding (Latin-1 byte 0xE9) is stored, listed and retrieved as the same bytes."""
    ftp = connect(ctx)
    ftp.encoding = "latin-1"
    expect(stor(ftp, "caf\xe9.txt", b"latin"), "226", "250")
    check(b"caf\xe9.txt" in os.listdir(ctx.root.encode()), "disk has %r" % os.listdir(ctx.root.encode()))
    check("caf\xe9.txt" in ftp.nlst(), "NLST gave %r" % ftp.nlst())
    check(retr(ftp, "caf\xe9.txt") == b"latin", "RETR of the Latin-1 name")
    quit_quietly(ftp)


# Listings


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


# Data connections


@test
def pasv_and_epsv_listing(ctx):
    """LIST works over a PASV (227) and an EPSV (229) data connection."""
    ctx.write("x.txt", b"x")
    ftp = connect(ctx)
    for mode in ["PASV", "EPSV"]:
        resp, listing = transfer(ftp, "NLST", mode=mode)
        expect(resp, "226", "250")
        check(listing.split() == [b"x.txt"], "NLST over %s: %r" % (mode, listing))
    quit_quietly(ftp)


@test
def passive_port_range(ctx):
    """With --passive-ports 50000-50100 and --public-address 127.0.0.1, PASV announces 127.0.0.1 and ports in range, EPSV ports in range, and transfers work."""
    ctx.write("x.txt", b"ranged")
    ftp = connect(ctx)
    for mode in ["PASV", "EPSV", "PASV", "EPSV"]:
        host, port = data_port(ftp, mode)
        check(host == "127.0.0.1", "%s announced host %s" % (mode, host))
        check(50000 <= port <= 50100, "%s port %d outside 50000-50100" % (mode, port))
        with socket.create_connection((host, port), timeout=TIMEOUT) as conn:
            expect(send(ftp, "RETR x.txt"), "150", "125")
            got = conn.recv(100)
            for _ in range(10):
                more = conn.recv(100)
                if not more:
                    break
                got += more
        expect(ftp.getmultiline(), "226", "250")
        check(got == b"ranged", "RETR over %s got %r" % (mode, got))
    quit_quietly(ftp)


@test
def passive_refuses_foreign_peer(ctx):
    """A connection to the passive port from another address (127.0.0.2) than the control connection's gets no data; the owner's transfer still succeeds or the server answers 425."""
    ctx.write("private.txt", b"for alice only")
    ftp = connect(ctx)
    host, port = data_port(ftp, "EPSV")
    thief = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    thief.settimeout(5)
    thief.bind(("127.0.0.2", 0))
    thief.connect((host, port))
    ftp.putcmd("RETR private.txt")
    stolen = b""
    try:
        for _ in range(100):
            block = thief.recv(4096)
            if not block:
                break
            stolen += block
    except (ConnectionResetError, socket.timeout):
        pass
    finally:
        thief.close()
    check(stolen == b"", "a foreign peer received data: %r" % stolen)
    # The server either waits for the rightful peer, or gives up with 425.
    try:
        owner = socket.create_connection((host, port), timeout=2)
    except OSError:
        owner = None
    # Replies allowed by RFC 959 for RETR: 150 then 226/250 (the owner got
    # the file) or 150 then 425, or 425 alone.
    got = b""
    with owner or socket.socket() as conn:
        final = first = ftp.getmultiline()
        if code_of(first) in ("150", "125"):
            if owner is not None:
                try:
                    for _ in range(100):
                        block = conn.recv(4096)
                        if not block:
                            break
                        got += block
                except (ConnectionResetError, socket.timeout):
                    pass
            final = ftp.getmultiline()
    if code_of(final) in ("226", "250"):
        check(got == b"for alice only", "the owner got %r" % got)
    else:
        expect(final, "425")
    expect(send(ftp, "NOOP"), "200")
    quit_quietly(ftp)


@test
def active_port_and_eprt(ctx):
    """Active mode works to the control connection's own address: ftplib's PORT round-trips a file, and EPRT to a local listener delivers a listing."""
    data = random_data(200000, 5)
    ftp = connect(ctx)
    ftp.set_pasv(False)
    expect(stor(ftp, "active.bin", data), "226", "250")
    check(retr(ftp, "active.bin") == data, "RETR in active mode")
    resp, listing = _nlst_over_eprt(ftp, "127.0.0.1")
    expect(resp, "200")
    check(listing.split() == [b"active.bin"], "NLST over EPRT: %r" % listing)
    quit_quietly(ftp)


@test
def port_bounce_refused(ctx):
    """PORT/EPRT to a privileged port or to an address other than the client's is refused with 5xx at once, and a following transfer does not use it."""
    ftp = connect(ctx)
    expect_class(send(ftp, "PORT 127,0,0,1,0,21"), "5")
    expect_class(send(ftp, "EPRT |1|127.0.0.1|21|"), "5")
    start = time.monotonic()
    expect_class(send(ftp, "EPRT |1|10.255.255.1|5000|"), "5")
    expect_class(send(ftp, "PORT 10,255,255,1,19,136"), "5")
    expect_class(send(ftp, "EPRT |2|::1|5000|"), "5")
    check(time.monotonic() - start < 3, "refusing foreign addresses took %.1f s" % (time.monotonic() - start))
    # A foreign address where something listens (127.0.0.2, not the control
    # connection's 127.0.0.1): refused, and never connected to.
    with socket.create_server(("127.0.0.2", 0)) as listener:
        port = listener.getsockname()[1]
        expect_class(send(ftp, "EPRT |1|127.0.0.2|%d|" % port), "5")
        expect_class(send(ftp, "PORT 127,0,0,2,%d,%d" % (port >> 8, port & 255)), "5")
        # No data channel is set up: a transfer now fails (425/503, possibly
        # after a 150) without connecting anywhere.
        resp = send(ftp, "LIST")
        if code_of(resp) in ("150", "125"):
            resp = ftp.getmultiline()
        check(resp[:1] in ("4", "5"), "LIST after refused PORTs got %r" % resp)
        listener.settimeout(0.2)
        try:
            conn, peer = listener.accept()
            conn.close()
            check(False, "the server connected to the refused address from %r" % (peer,))
        except socket.timeout:
            pass
    expect(send(ftp, "NOOP"), "200")
    quit_quietly(ftp)


def _nlst_over_eprt(ftp, listen_host):
    """EPRT to a listener on listen_host, NLST; returns (EPRT reply, data or None)."""
    with socket.create_server((listen_host, 0)) as listener:
        listener.settimeout(TIMEOUT)
        port = listener.getsockname()[1]
        resp = send(ftp, "EPRT |1|%s|%d|" % (listen_host, port))
        if code_of(resp) != "200":
            return resp, None
        ftp.putcmd("NLST")
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(TIMEOUT)
            expect(ftp.getmultiline(), "150", "125")
            listing = b""
            for _ in range(100):
                block = conn.recv(4096)
                if not block:
                    break
                listing += block
        expect(ftp.getmultiline(), "226", "250")
        return resp, listing


@test
def active_any_address_allows_foreign_port(ctx):
    """With --active-any-address, EPRT to an address other than the client's (127.0.0.2) is accepted and the listing arrives there."""
    ctx.write("x.txt", b"x")
    ftp = connect(ctx)
    resp, listing = _nlst_over_eprt(ftp, "127.0.0.2")
    expect(resp, "200")
    check(listing.split() == [b"x.txt"], "NLST over EPRT to 127.0.0.2: %r" % listing)
    quit_quietly(ftp)


@test
def epsv_all(ctx):
    """After EPSV ALL (200), PASV, PORT and EPRT are refused (5xx) while EPSV still works for transfers (RFC 2428 section 4)."""
    ctx.write("x.txt", b"x")
    ftp = connect(ctx)
    expect_class(send(ftp, "EPSV ALL"), "2")
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        expect_class(send(ftp, "PASV"), "5")
        expect_class(send(ftp, "PORT 127,0,0,1,%d,%d" % (port >> 8, port & 255)), "5")
        expect_class(send(ftp, "EPRT |1|127.0.0.1|%d|" % port), "5")
    resp, listing = transfer(ftp, "NLST", mode="EPSV")
    expect(resp, "226", "250")
    check(listing.split() == [b"x.txt"], "NLST after EPSV ALL: %r" % listing)
    quit_quietly(ftp)


# Command-line framing


@test
def long_line(ctx):
    """A 10 000-byte command line gets exactly one 500 reply, a 1 MiB line too, and the session goes on."""
    raw = Raw(ctx)
    raw.login()
    line = b"STOR " + b"a" * 9995
    check(len(line) == 10000, "test line length")
    expect(raw.cmd(line), "500")
    expect(raw.cmd("PWD"), "257")
    raw.send(b"X" * (1 << 20) + b"\r\n")
    expect(raw.reply(), "500")
    expect(raw.cmd("PWD"), "257")
    raw.assert_quiet()
    check(os.listdir(ctx.root) == [], "the long STOR created something: %r" % os.listdir(ctx.root)[:3])
    raw.close()


@test
def odd_bytes_get_one_reply(ctx):
    """A line holding a NUL byte, and one with Telnet IAC sequences, each get exactly one reply and the session goes on."""
    raw = Raw(ctx)
    raw.login()
    resp = raw.cmd(b"CWD a\x00b")
    check(resp[:1] in ("5", "2"), "reply to a NUL line: %r" % resp)
    expect(raw.cmd("PWD"), "257")
    # IAC WILL ECHO (negotiation, dropped) before NOOP.
    expect(raw.cmd(b"\xff\xfb\x01NOOP"), "200")
    expect(raw.cmd("PWD"), "257")
    raw.assert_quiet()
    raw.close()


@test
def crlf_split_across_segments(ctx):
    """A command whose bytes, including CR and LF, arrive in separate TCP segments is one command with one reply."""
    raw = Raw(ctx)
    for parts in ([b"NO", b"OP\r\n"], [b"NOOP\r", b"\n"], [b"N", b"O", b"O", b"P", b"\r", b"\n"]):
        for part in parts:
            raw.send(part)
            time.sleep(0.05)
        expect(raw.reply(), "200")
        raw.assert_quiet(0.2)
    raw.close()


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


# Load


@test
def concurrent_clients(ctx):
    """50 clients at once each log in, STOR a distinct 64 KiB file and RETR it back; every file is intact on the wire and on disk."""
    clients = 50
    barrier = threading.Barrier(clients, timeout=20)
    errors = []
    digests = {}
    logged_in = []  # seconds from start until each client was logged in
    start = time.monotonic()

    def client(i):
        name = "client-%02d.bin" % i
        data = random_data(64 * 1024, 1000 + i)
        try:
            # 50 password checks at once can queue for a while on 2 cores.
            ftp = connect(ctx, timeout=20)
            ftp.timeout = TIMEOUT
            logged_in.append(time.monotonic() - start)
            barrier.wait()
            ftp.voidcmd("TYPE I")
            stor(ftp, name, data)
            got = retr(ftp, name)
            if hashlib.sha256(got).digest() != hashlib.sha256(data).digest():
                errors.append("%s: RETR returned %d bytes that differ" % (name, len(got)))
            digests[name] = hashlib.sha256(data).hexdigest()
            quit_quietly(ftp)
        except Exception as e:  # collected and reported below
            errors.append("%s: %s: %s (at %.1f s)" % (name, type(e).__name__, e, time.monotonic() - start))
            barrier.abort()

    threads = [threading.Thread(target=client, args=(i,), name="c%02d" % i) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.1, 20 - (time.monotonic() - start)))
    stuck = [t.name for t in threads if t.is_alive()]
    timing = "%d clients logged in, the last after %.1f s" % (len(logged_in), max(logged_in, default=0))
    check(not stuck, "clients still running after 20 s: %r; %s" % (stuck, timing))
    check(not errors, "%d of %d clients failed (%s):\n  %s"
          % (len(errors), clients, timing, "\n  ".join(sorted(errors)[:20])))
    for name, digest in digests.items():
        with open(ctx.path(name), "rb") as f:
            check(hashlib.sha256(f.read()).hexdigest() == digest, "%s differs on disk" % name)
    check(len(digests) == clients, "only %d files stored" % len(digests))


# --- entry point ----------------------------------------------------------------


def main(argv):
    if len(argv) == 2 and argv[1] == "--list":
        print("\n".join(sorted(TESTS)))
        return 0
    if len(argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    name, host, port, root = argv[1:]
    fn = TESTS.get(name)
    if fn is None:
        print("unknown test %r; known: %s" % (name, ", ".join(sorted(TESTS))), file=sys.stderr)
        return 2
    socket.setdefaulttimeout(TIMEOUT)
    try:
        fn(Ctx(host, int(port), root))
    except Exception:
        print("FAILED %s: %s" % (name, (fn.__doc__ or "").strip()))
        traceback.print_exc(file=sys.stdout)
        print("--- last lines exchanged with the server (> sent, < received) ---")
        with _transcript_lock:
            for line in TRANSCRIPT:
                print(line)
        sys.stdout.flush()
        return 1
    print("ok %s" % name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
