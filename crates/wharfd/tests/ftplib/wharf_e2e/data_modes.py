"""The data connections of issue 6 with a byte-level client: the default data
port (RFC 959 3.2 and 5.2: no PORT or PASV, the server connects from its
control port minus one to the client's own control address and port) and
MODE B (RFC 959 3.4.2: block framing, one data connection for many
transfers) on it, in clear and under PROT P with only the control port used.

MODE B over PASV/EPSV and PORT needs no real socket; it is checked in
process in wharf-session's transcripts
(crates/wharf-session/src/transcripts/block_mode.rs)."""

import socket
import struct
import time

from .harness import TIMEOUT, check, expect, note, random_data, test
from .raw import Raw
from .tls import client_context

EOF = 64
RESTART_MARKER = 16


def _reusable_socket(ctx):
    family = socket.AF_INET6 if ctx.ipv6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.settimeout(TIMEOUT)
    return sock


class Control(Raw):
    """A control connection whose local port a data listener can share
    (SO_REUSEADDR/SO_REUSEPORT set before connect), as the default data
    port needs. `source` is the local address to bind: the server's
    loopback by default, any ("") in a network namespace whose address the
    route picks (nat.py)."""

    def __init__(self, ctx, source=None):
        self.ctx = ctx
        self.sock = _reusable_socket(ctx)
        self.sock.bind((ctx.host if source is None else source, 0))
        self.sock.connect((ctx.host, ctx.port))
        self.buf = b""
        expect(self.reply(), "220")

    def default_port_listener(self):
        """Listens on this connection's own address and port (U)."""
        listener = _reusable_socket(self.ctx)
        listener.bind(self.sock.getsockname())
        listener.listen(4)
        return listener

    def secure(self):
        """AUTH TLS, PBSZ 0, PROT P; returns the TLS client context."""
        context = client_context()
        expect(self.cmd("AUTH TLS"), "234")
        check(self.buf == b"", "bytes after 234")
        self.sock = context.wrap_socket(self.sock, server_hostname=self.ctx.host)
        expect(self.cmd("PBSZ 0"), "200")
        expect(self.cmd("PROT P"), "200")
        return context

    def start(self, line):
        """Sends a transfer command and expects 150."""
        expect(self.cmd(line), "150", "125")


def _recv_exact(sock, n):
    out = bytearray()
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        check(chunk != b"", "the data connection closed inside a block")
        out.extend(chunk)
    return bytes(out)


def recv_file(sock):
    """One MODE B file: blocks until the one flagged EOF."""
    data = bytearray()
    while True:
        descriptor, count = struct.unpack("!BH", _recv_exact(sock, 3))
        payload = _recv_exact(sock, count)
        if not descriptor & RESTART_MARKER:
            data.extend(payload)
        if descriptor & EOF:
            return bytes(data)


def send_file(sock, data, sizes=(1, 1000, 65535)):
    """One MODE B file in blocks of the given sizes (cycled), a restart
    marker after the first block, the last block flagged EOF."""
    pos, i, out = 0, 0, bytearray()
    while True:
        size = sizes[i % len(sizes)]
        chunk = data[pos:pos + size]
        pos += len(chunk)
        last = pos >= len(data)
        out += struct.pack("!BH", EOF if last else 0, len(chunk)) + chunk
        if i == 0 and not last:
            out += struct.pack("!BH", RESTART_MARKER, 1) + b"1"
        i += 1
        if last:
            break
    note(">", "MODE B file of %d bytes in %d blocks" % (len(data), i))
    sock.sendall(bytes(out))


def _many_transfers(ctx, control, data, prefix):
    """Two downloads, an upload and its download back, and a listing, all
    over the one data connection `data`, byte-exact."""
    files = {}
    for i in range(2):
        files["%s-%d.bin" % (prefix, i)] = random_data(70_000 + 33_333 * i, 40 + i)
        ctx.write("%s-%d.bin" % (prefix, i), files["%s-%d.bin" % (prefix, i)])
    for name, content in files.items():
        control.start("RETR " + name)
        check(recv_file(data) == content, "RETR %s in MODE B differs" % name)
        expect(control.reply(), "226")
    upload = random_data(150_001, 99)
    control.start("STOR %s-up.bin" % prefix)
    send_file(data, upload)
    expect(control.reply(), "226")
    check(ctx.read("%s-up.bin" % prefix) == upload, "the MODE B upload differs on disk")
    control.start("RETR %s-up.bin" % prefix)
    check(recv_file(data) == upload, "the upload read back differs")
    expect(control.reply(), "226")
    control.start("NLST")
    names = recv_file(data).decode()
    check("%s-up.bin" % prefix in names, "NLST in MODE B: %r" % names)
    expect(control.reply(), "226")


def _default_port_session(ctx, name, content):
    """Puts `content` at `name`, logs in with TYPE I and returns the
    control connection and its default-data-port listener."""
    ctx.write(name, content)
    control = Control(ctx)
    control.login()
    expect(control.cmd("TYPE I"), "200")
    return control, control.default_port_listener()


def _read_default_port(control, listener, line):
    """Sends `line` (RETR, LIST), accepts the server's connection on
    `listener`, reads to its end, expects 226; returns the bytes and the
    server's address."""
    control.start(line)
    conn, peer = listener.accept()
    got = bytearray()
    while chunk := conn.recv(65536):
        got.extend(chunk)
    conn.close()
    expect(control.reply(), "226")
    return bytes(got), peer


@test
def default_port_retr_stor_list(ctx):
    """No PORT or PASV: the server connects from its control port minus one to the client's own control address and port, for RETR, STOR and LIST, several times in a row (TIME_WAIT must not block the next one)."""
    content = random_data(300_000, 5)
    control, listener = _default_port_session(ctx, "d.bin", content)
    for round_ in range(3):
        got, peer = _read_default_port(control, listener, "RETR d.bin")
        check(peer[1] == ctx.port - 1, "connected from port %d, not %d" % (peer[1], ctx.port - 1))
        check(got == content, "RETR %d over the default port differs" % round_)
    upload = random_data(123_457, 6)
    control.start("STOR up.bin")
    conn, _ = listener.accept()
    conn.sendall(upload)
    conn.close()
    expect(control.reply(), "226")
    check(ctx.read("up.bin") == upload, "STOR over the default port differs")
    listing, _ = _read_default_port(control, listener, "LIST")
    check(b"up.bin" in listing and b"d.bin" in listing, "LIST over the default port: %r" % listing)


@test
def netns_default_port_without_timestamps(ctx):
    """Run only inside a network namespace with net.ipv4.tcp_timestamps=0 (tests/e2e/e2e_netns.rs): each default-port download leaves the pair (L-1, U) in TIME_WAIT, which Linux cannot reuse without timestamps. Every RETR still succeeds byte-exact: the first from L-1, the next from an ephemeral port after the retries, and the ones after that at once, the session remembering the busy pair."""
    content = random_data(200_000, 7)
    control, listener = _default_port_session(ctx, "t.bin", content)
    ports, seconds = [], []
    for round_ in range(4):
        started = time.monotonic()
        got, peer = _read_default_port(control, listener, "RETR t.bin")
        seconds.append(time.monotonic() - started)
        ports.append(peer[1])
        check(got == content, "RETR %d differs" % round_)
    note("#", "source ports %r, seconds %r" % (ports, ["%.3f" % s for s in seconds]))
    check(ports[0] == ctx.port - 1, "the first RETR came from %d, not L-1" % ports[0])
    # If the pair were reused, timestamps are on and this test proves nothing.
    check(all(p != ctx.port - 1 for p in ports[1:]), "L-1 reused: are timestamps off? %r" % ports)
    check(seconds[1] >= 0.2, "no retries before the first fallback: %.3f s" % seconds[1])
    check(all(s < 0.2 for s in seconds[2:]), "later fallbacks retried again: %r" % seconds)


@test
def mode_b_default_port(ctx):
    """MODE B on the default data port: no PORT or PASV at all, the server connects once from L-1 and every later transfer reuses that connection."""
    control = Control(ctx)
    control.login()
    expect(control.cmd("TYPE I"), "200")
    expect(control.cmd("MODE B"), "200")
    listener = control.default_port_listener()
    ctx.write("first.bin", b"first file")
    control.start("RETR first.bin")
    data, peer = listener.accept()
    check(peer[1] == ctx.port - 1, "connected from port %d" % peer[1])
    check(recv_file(data) == b"first file", "first MODE B file differs")
    expect(control.reply(), "226")
    _many_transfers(ctx, control, data, "default")
    listener.settimeout(0.3)
    try:
        listener.accept()
        check(False, "the server opened a second data connection")
    except socket.timeout:
        pass


@test
def ftps_mode_b_default_port_only_control_port(ctx):
    """FTPS through a firewall that opens only the control port: AUTH TLS + PBSZ 0 + PROT P + MODE B + the default data port; one TLS data connection (resuming the control session) carries every transfer, byte-exact."""
    ftps_mode_b_default_port(ctx)


def ftps_mode_b_default_port(ctx, source=None):
    """The body of ftps_mode_b_default_port_only_control_port, from
    `source`; nat.py runs it through firewalls and NATs."""
    control = Control(ctx, source)
    context = control.secure()
    control.login()
    expect(control.cmd("TYPE I"), "200")
    expect(control.cmd("MODE B"), "200")
    listener = control.default_port_listener()
    ctx.write("first.bin", b"first file, encrypted")
    control.start("RETR first.bin")
    raw, peer = listener.accept()
    check(peer[1] == ctx.port - 1, "connected from port %d" % peer[1])
    data = context.wrap_socket(raw, server_hostname=ctx.host, session=control.sock.session)
    check(data.session_reused, "the data connection did not resume the control session")
    check(recv_file(data) == b"first file, encrypted", "first file differs")
    expect(control.reply(), "226")
    _many_transfers(ctx, control, data, "ftps")
