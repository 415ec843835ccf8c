"""FTPS clients for the ftps* test modules: TLS contexts that skip
verification (the server runs with a throwaway self-signed certificate),
ftplib.FTP_TLS subclasses (one that resumes the control connection's TLS
session on data connections, the stock behaviour, and implicit TLS), a raw
control connection that can switch to TLS, and checks that a connection
really is (or really is not) TLS.

Only the standard library is used. Every socket has a timeout.
"""

import ftplib
import socket
import ssl
import time

from .harness import PASSWORD, TIMEOUT, USER, check, expect, note
from .raw import Raw

VERSIONS = {
    "1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
}


def client_context(version=None):
    """A client context that accepts the test certificate; `version` ('1.2'
    or '1.3') pins the protocol version, None allows TLS 1.2 and 1.3."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if version is not None:
        context.minimum_version = VERSIONS[version]
        context.maximum_version = VERSIONS[version]
    return context


class _Recording:
    """Mixin: records the conversation (like harness.FTP) and what every
    data connection's TLS looked like, in `self.data_tls` as
    (TLS version or None for clear text, whether the session was resumed)."""

    def putline(self, line):
        note(">", line)
        super().putline(line)

    def getline(self):
        line = super().getline()
        note("<", line)
        return line

    def _record(self, conn):
        if not hasattr(self, "data_tls"):
            self.data_tls = []
        if isinstance(conn, ssl.SSLSocket):
            self.data_tls.append((conn.version(), conn.session_reused))
        else:
            self.data_tls.append((None, False))


class FTPS(_Recording, ftplib.FTP_TLS):
    """FTP_TLS whose data connections resume the control connection's TLS
    session (the usual recipe; stock FTP_TLS in Python 3.11 does not)."""

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)
        self._record(conn)
        return conn, size


class StockFTPS(_Recording, ftplib.FTP_TLS):
    """ftplib.FTP_TLS as it is: a fresh TLS session on every data connection."""

    def ntransfercmd(self, cmd, rest=None):
        conn, size = super().ntransfercmd(cmd, rest)
        self._record(conn)
        return conn, size


class ImplicitFTPS(FTPS):
    """Implicit FTPS: TLS from the first byte, data protected from the start."""

    def connect(self, host="", port=0, timeout=-999, source_address=None):
        self.host, self.port = host, port
        if timeout != -999:
            self.timeout = timeout
        plain = socket.create_connection((host, port), self.timeout)
        self.sock = self.context.wrap_socket(plain, server_hostname=host)
        self.af = self.sock.family
        self.file = self.sock.makefile("r", encoding=self.encoding)
        self.welcome = self.getresp()
        self._prot_p = True
        return self.welcome


def connect_tls(ctx, login=True, prot_p=True, cls=FTPS, version=None, user=USER, password=PASSWORD):
    """An explicit-FTPS client: AUTH TLS, then (with login) USER/PASS, then
    (with prot_p) PBSZ 0 + PROT P. Checks the control connection is TLS."""
    ftp = cls(context=client_context(version), timeout=TIMEOUT)
    ftp.encoding = "utf-8"
    ftp.connect(ctx.host, ctx.port, timeout=TIMEOUT)
    expect(ftp.auth(), "234")
    assert_tls(ftp.sock, version)
    if login:
        expect(ftp.login(user, password), "230")
        if prot_p:
            expect(ftp.prot_p(), "200")
    return ftp


def connect_implicit(ctx, login=True, version=None):
    """An implicit-FTPS client on ctx.implicit_port (logged in with login)."""
    check(ctx.implicit_port is not None, "the server has no implicit FTPS port (suite.py's 5th argument)")
    ftp = ImplicitFTPS(context=client_context(version), timeout=TIMEOUT)
    ftp.encoding = "utf-8"
    expect(ftp.connect(ctx.host, ctx.implicit_port, timeout=TIMEOUT), "220")
    assert_tls(ftp.sock, version)
    if login:
        expect(ftp.login(USER, PASSWORD), "230")
    return ftp


def assert_tls(sock, version=None):
    """Asserts `sock` is a TLS socket (of `version`, if given)."""
    check(isinstance(sock, ssl.SSLSocket), "not a TLS connection: %r" % sock)
    got = sock.version()
    check(got in ("TLSv1.2", "TLSv1.3"), "negotiated %r" % got)
    if version is not None:
        check(got == "TLSv" + version, "negotiated %s, wanted TLS %s" % (got, version))


def assert_data_tls(ftp, count, resumed=True, version=None):
    """Asserts the client's last `count` data connections were TLS (of
    `version`, if given) and, with resumed, resumed the control session."""
    seen = getattr(ftp, "data_tls", [])
    check(len(seen) >= count, "expected %d data connections, saw %d" % (count, len(seen)))
    for got, reused in seen[-count:]:
        check(got is not None, "a data connection was in clear text: %r" % seen)
        if version is not None:
            check(got == "TLSv" + version, "a data connection negotiated %s, wanted TLS %s" % (got, version))
        if resumed:
            check(reused, "a data connection did not resume the control session: %r" % seen)


class RawTLS(Raw):
    """Raw (byte-level control connection) that can switch to TLS."""

    def __init__(self, ctx, port=None, implicit=False, version=None):
        if port is None:
            port = ctx.implicit_port if implicit else ctx.port
        self.context = client_context(version)
        self.sock = socket.create_connection((ctx.host, port), timeout=TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        if implicit:
            self.sock = self.context.wrap_socket(self.sock, server_hostname=ctx.host)
        expect(self.reply(), "220")

    def auth_tls(self, command="AUTH TLS"):
        """AUTH TLS (234) and the handshake."""
        expect(self.cmd(command), "234")
        check(self.buf == b"", "bytes after the 234 reply, before the handshake: %r" % self.buf)
        self.sock = self.context.wrap_socket(self.sock, server_hostname="127.0.0.1")
        assert_tls(self.sock)

    def login(self, user=USER, password=PASSWORD):
        expect(self.cmd("USER " + user), "331")
        expect(self.cmd("PASS " + password), "230")


def expect_clean_close(sock, timeout=5.0):
    """Reads from a plain TCP socket until the server closes it; asserts the
    close is orderly (EOF, not a reset) within `timeout` and that nothing but
    TLS alert records came before it. Returns what was received."""
    deadline = time.monotonic() + timeout
    got = b""
    for _ in range(1000):
        left = deadline - time.monotonic()
        check(left > 0, "the server kept the connection open for %.0f s (got %r)" % (timeout, got[:100]))
        sock.settimeout(left)
        try:
            block = sock.recv(4096)
        except socket.timeout:
            check(False, "the server kept the connection open for %.0f s (got %r)" % (timeout, got[:100]))
        except ConnectionResetError:
            check(False, "the server reset the connection instead of closing it (got %r)" % got[:100])
        if not block:
            break
        got += block
    # Whatever came is TLS alert records (content type 21), never FTP text.
    rest = got
    for _ in range(100):
        if not rest:
            break
        check(len(rest) >= 5 and rest[0] == 21, "not a TLS alert record before the close: %r" % got[:100])
        length = int.from_bytes(rest[3:5], "big")
        rest = rest[5 + length:]
    note("<", "(closed after %d bytes of TLS alerts)" % len(got))
    return got
