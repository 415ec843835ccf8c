"""What every test module shares: the protocol log, the ftplib client, the
check/expect helpers, connect and transfer helpers, test data, and the
`@test` registry that suite.py runs from.

Only the standard library is used. Every socket has a timeout and every loop
a bound.
"""

import calendar
import collections
import ftplib
import hashlib
import io
import os
import socket
import threading
import time

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
    """Where the server is and what it serves (and its implicit FTPS port,
    when it has one). `host` is the server's loopback address, 127.0.0.1 or
    ::1 (no brackets): `ipv6` says which family the test runs on."""

    def __init__(self, host, port, root, implicit_port=None):
        self.host = host
        self.ipv6 = ":" in host
        self.port = port
        self.implicit_port = implicit_port
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

    def passive(self):
        """The passive command of the test's family: PASV on IPv4, EPSV on
        IPv6 (where PASV has no address to give; RFC 2428)."""
        return "EPSV" if self.ipv6 else "PASV"

    def foreign_host(self):
        """A local address that is not the client's own, with a listener
        possible on it: 127.0.0.2 on IPv4; on IPv6 (whose loopback is ::1
        alone) 127.0.0.1, an address of the other family."""
        return "127.0.0.1" if self.ipv6 else "127.0.0.2"


def transcript_lines():
    """A copy of the recorded conversation, oldest line first."""
    with _transcript_lock:
        return list(TRANSCRIPT)


# --- the registry ---------------------------------------------------------------

TESTS = {}


def test(fn):
    TESTS[fn.__name__] = fn
    return fn


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


def eprt(host, port):
    """The EPRT command for `host` (a bare IPv4 or IPv6 literal) and `port`:
    RFC 2428 2, `EPRT |1|127.0.0.1|port|` or `EPRT |2|::1|port|`."""
    return "EPRT |%d|%s|%d|" % (2 if ":" in host else 1, host, port)


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
