"""Clients for the NAT and firewall topologies of tests/e2e/e2e_nat/: each
function runs in a client network namespace against wharfd in another, with
routers and firewalls (nftables) between them. HOST is the address the
client dials, so it may be a router's, not the server's own.

What a topology expects comes from the environment, set by the Rust test:
  WHARF_NAT_PASV          the address PASV must announce (the client dials
                          exactly that address, as a client that trusts the
                          227 reply does)
  WHARF_NAT_CONNECT_SECS  wharfd's data-connect timeout ([timeouts]
                          data_connect_secs), the bound of a failure

The default data port and MODE B come from data_modes.py; the client binds
its control socket to any address ("") so the route picks the namespace's
own.
"""

import ftplib
import io
import os
import socket
import time

from .data_modes import Control, ftps_mode_b_default_port
from .harness import FTP, PASSWORD, TIMEOUT, USER, check, expect, note, random_data, test
from .tls import FTPS, connect_tls

ANY = ""


def _env_secs(name):
    return float(os.environ[name])


class _Passive:
    """Mixin: passive data connections to exactly the address of the 227
    reply (ftplib by default dials the control address instead, which would
    hide a wrong 227), by PASV or EPSV as `self.mode` says; keeps the
    replies in `self.offers`."""

    mode = "PASV"

    def makepasv(self):
        if not hasattr(self, "offers"):
            self.offers = []
        if self.mode == "PASV":
            resp = self.sendcmd("PASV")
            self.offers.append(resp)
            return ftplib.parse227(resp)
        resp = self.sendcmd("EPSV")
        self.offers.append(resp)
        return ftplib.parse229(resp, self.sock.getpeername())


class PassiveFTP(_Passive, FTP):
    """Plain ftplib through `_Passive`."""


class PassiveFTPS(_Passive, FTPS):
    """FTPS (PROT P, data connections resuming the control session) through
    `_Passive`."""


def _round_trip(ctx, ftp, label):
    """STOR, RETR and NLST over passive connections, byte-exact on disk."""
    data = random_data(200_000 + len(label), len(label))
    name = "nat-%s.bin" % label
    ftp.storbinary("STOR " + name, io.BytesIO(data))
    check(ctx.read(name) == data, "%s: the upload differs on disk" % label)
    got = bytearray()
    ftp.retrbinary("RETR " + name, got.extend)
    check(bytes(got) == data, "%s: the download differs" % label)
    check(name in ftp.nlst(), "%s: NLST does not name %s" % (label, name))


@test
def nat_passive(ctx):
    """PASV and EPSV, plain and FTPS (PROT P), with ftplib dialing exactly the address each 227 names: PASV announces WHARF_NAT_PASV, EPSV's port is reached at the control address, and STOR, RETR and NLST work byte-exact."""
    expected = os.environ["WHARF_NAT_PASV"]
    for secure in (False, True):
        for mode in ("PASV", "EPSV"):
            label = "%s-%s" % ("ftps" if secure else "plain", mode.lower())
            if secure:
                ftp = connect_tls(ctx, cls=PassiveFTPS)
            else:
                ftp = PassiveFTP()
                ftp.connect(ctx.host, ctx.port, timeout=TIMEOUT)
                ftp.login(USER, PASSWORD)
            ftp.mode = mode
            _round_trip(ctx, ftp, label)
            for offer in ftp.offers:
                if mode == "PASV":
                    host, _ = ftplib.parse227(offer)
                    check(host == expected, "%s: 227 names %s, not %s" % (label, host, expected))
                else:
                    check(offer.startswith("229"), "%s: %r" % (label, offer))
            if secure:
                check(
                    all(version is not None and reused for version, reused in ftp.data_tls),
                    "%s: data connections %r" % (label, ftp.data_tls),
                )
            ftp.quit()


@test
def nat_ftps_default_port(ctx):
    """FTPS (PROT P) in MODE S on the default data port: for RETR twice, STOR and LIST the server connects from its control port minus one to the client's control address and port, and every connection resumes the control TLS session."""
    control = Control(ctx, ANY)
    context = control.secure()
    control.login()
    expect(control.cmd("TYPE I"), "200")
    listener = control.default_port_listener()
    content = random_data(250_000, 11)
    ctx.write("nat-d.bin", content)

    def accept():
        raw, peer = listener.accept()
        check(peer[1] == ctx.port - 1, "connected from port %d, not %d" % (peer[1], ctx.port - 1))
        conn = context.wrap_socket(raw, server_hostname=ctx.host, session=control.sock.session)
        check(conn.session_reused, "the data connection did not resume the control session")
        return conn

    def read_all(line):
        control.start(line)
        conn = accept()
        got = bytearray()
        while chunk := conn.recv(65536):
            got.extend(chunk)
        conn.close()
        expect(control.reply(), "226")
        return bytes(got)

    for round_ in range(2):
        check(read_all("RETR nat-d.bin") == content, "RETR %d differs" % round_)
    upload = random_data(123_457, 12)
    control.start("STOR nat-up.bin")
    conn = accept()
    conn.sendall(upload)
    conn.close()
    expect(control.reply(), "226")
    check(ctx.read("nat-up.bin") == upload, "STOR over the default port differs")
    listing = read_all("LIST")
    check(b"nat-up.bin" in listing and b"nat-d.bin" in listing, "LIST: %r" % listing)


@test
def nat_ftps_mode_b_default_port(ctx):
    """FTPS (PROT P) + MODE B on the default data port: one TLS data connection from the control port minus one carries three downloads, an upload, its download back and a listing (data_modes.ftps_mode_b_default_port)."""
    ftps_mode_b_default_port(ctx, ANY)


def _final_reply(control, started, bound):
    """The first reply past any 1xx, within `bound` seconds of `started`;
    returns (reply, seconds since `started`, the 1xx replies before it)."""
    preliminary = []
    while True:
        left = bound - (time.monotonic() - started)
        check(left > 0, "no final reply within %.1f s (after %r)" % (bound, preliminary))
        reply = control.reply(timeout=left)
        if not reply.startswith("1"):
            return reply, time.monotonic() - started, preliminary
        preliminary.append(reply)


def _expect_425(control, line, connect_secs, says):
    """Sends `line` and expects 425 saying `says`, no sooner than the
    data-connect timeout (so the server did wait for it) and within 2 s
    after it (no hang)."""
    started = time.monotonic()
    control.send(line.encode() + b"\r\n")
    reply, took, preliminary = _final_reply(control, started, connect_secs + 2.0)
    # Printed, too: the Rust test shows it with --nocapture.
    print("# %s: %r after %r, %.2f s" % (line, reply, preliminary, took))
    note("#", "%s: %r after %r, %.2f s" % (line, reply, preliminary, took))
    expect(reply, "425")
    check(says in reply, "the 425 does not say %r: %r" % (says, reply))
    check(took >= connect_secs - 0.5, "425 after %.2f s, before the %.0f s timeout" % (took, connect_secs))
    return reply, took


@test
def nat_passive_blocked(ctx):
    """Behind a server firewall that admits only port 21: PASV (plain) and EPSV (FTPS) still get 227/229, but a connection to the offered port is dropped (no answer, not refused), and the transfer command gets 150, then 425 ("no data connection arrived within 3s") once the data-connect timeout (WHARF_NAT_CONNECT_SECS) passes, never later."""
    connect_secs = _env_secs("WHARF_NAT_CONNECT_SECS")
    for secure, mode in ((False, "PASV"), (True, "EPSV")):
        control = Control(ctx, ANY)
        if secure:
            control.secure()
        control.login()
        reply = control.cmd(mode)
        if mode == "PASV":
            host, port = ftplib.parse227(expect(reply, "227"))
            check(host == ctx.host, "227 names %s, not %s" % (host, ctx.host))
        else:
            host, port = ftplib.parse229(expect(reply, "229"), (ctx.host, ctx.port))
        probe = socket.socket()
        probe.settimeout(1.0)
        try:
            probe.connect((host, port))
            check(False, "%s: the firewall let a connection to port %d through" % (mode, port))
        except socket.timeout:
            note("#", "%s: a connection to port %d got no answer in 1 s" % (mode, port))
        finally:
            probe.close()
        _expect_425(control, "NLST", connect_secs, "no data connection arrived within %ds" % connect_secs)
        expect(control.cmd("NOOP"), "200")
        control.close()


@test
def nat_default_port_refused(ctx):
    """Behind a NAT that admits no inbound connection the client did not open (Linux MASQUERADE): the default data port gets 150, then 425 naming the address and port the server dialled ("no data connection to ROUTER:PORT within 3s") once the data-connect timeout (WHARF_NAT_CONNECT_SECS) passes, in MODE S plain and in FTPS with MODE B; the client's listener sees nothing, and the session goes on."""
    connect_secs = _env_secs("WHARF_NAT_CONNECT_SECS")
    ctx.write("nat-r.bin", b"never arrives")
    for secure in (False, True):
        control = Control(ctx, ANY)
        if secure:
            control.secure()
        control.login()
        expect(control.cmd("TYPE I"), "200")
        if secure:
            expect(control.cmd("MODE B"), "200")
        listener = control.default_port_listener()
        # The server dialled the client's control port at the router's
        # address (MASQUERADE keeps a free source port).
        says = ":%d within %ds" % (control.sock.getsockname()[1], connect_secs)
        reply, _ = _expect_425(control, "RETR nat-r.bin", connect_secs, "no data connection to ")
        check(says in reply, "the 425 does not name %r: %r" % (says, reply))
        listener.settimeout(0.2)
        try:
            listener.accept()
            check(False, "a data connection arrived after all")
        except socket.timeout:
            pass
        expect(control.cmd("NOOP"), "200")
        control.close()


@test
def nat_pasv_private_address(ctx):
    """Behind a NAT without --public-address: PASV announces the server's private address (WHARF_NAT_PASV), which the client cannot reach (no route: the dial fails at once, no hang); stock ftplib still works over PASV because it dials the control address whatever the 227 names, and EPSV, which names only a port, works."""
    expected = os.environ["WHARF_NAT_PASV"]
    ftp = PassiveFTP()
    ftp.connect(ctx.host, ctx.port, timeout=TIMEOUT)
    ftp.login(USER, PASSWORD)
    host, port = ftplib.parse227(expect(ftp.sendcmd("PASV"), "227"))
    check(host == expected, "227 names %s, not %s" % (host, expected))
    started = time.monotonic()
    try:
        socket.create_connection((host, port), timeout=2.0).close()
        check(False, "the private address %s was reachable" % host)
    except OSError as e:
        print("# dialing the 227 address %s: %s after %.2f s" % (host, e, time.monotonic() - started))
    check(time.monotonic() - started < 2.5, "the failed dial hung")
    ftp.quit()
    # EPSV, through ftplib as it is.
    ftp = PassiveFTP()
    ftp.mode = "EPSV"
    ftp.connect(ctx.host, ctx.port, timeout=TIMEOUT)
    ftp.login(USER, PASSWORD)
    _round_trip(ctx, ftp, "private-epsv")
    ftp.quit()
    # PASV through stock ftplib, which ignores the 227's address.
    ftp = FTP()
    ftp.connect(ctx.host, ctx.port, timeout=TIMEOUT)
    ftp.login(USER, PASSWORD)
    check(not ftp.trust_server_pasv_ipv4_address, "this ftplib trusts the 227 address")
    _round_trip(ctx, ftp, "private-stock-pasv")
    ftp.quit()


@test
def nat_passive_foreign(ctx):
    """An inside client offered the public address (no override for its network): its dial goes through the router's hairpin and arrives masqueraded, from another address than its control connection, so wharfd's passive peer check closes it; the RETR gets 150, then 425 once the data-connect timeout passes."""
    expected = os.environ["WHARF_NAT_PASV"]
    connect_secs = _env_secs("WHARF_NAT_CONNECT_SECS")
    ctx.write("nat-f.bin", b"not for a stranger")
    control = Control(ctx, ANY)
    control.login()
    host, port = ftplib.parse227(expect(control.cmd("PASV"), "227"))
    check(host == expected, "227 names %s, not %s" % (host, expected))
    data = socket.create_connection((host, port), timeout=TIMEOUT)
    _expect_425(control, "RETR nat-f.bin", connect_secs, "no data connection arrived within")
    try:
        got = data.recv(100)
    except ConnectionResetError:
        got = b""
    check(got == b"", "the hairpinned connection carried %r" % got)
    data.close()
    expect(control.cmd("NOOP"), "200")


@test
def nat_active(ctx):
    """Active mode (ftplib's PORT, then EPRT), plain and FTPS: the server connects out to the client's listener; STOR, RETR and NLST byte-exact."""
    for secure in (False, True):
        for eprt in (False, True):
            label = "active-%s-%s" % ("ftps" if secure else "plain", "eprt" if eprt else "port")
            if secure:
                ftp = connect_tls(ctx)
            else:
                ftp = FTP()
                ftp.connect(ctx.host, ctx.port, timeout=TIMEOUT)
                ftp.login(USER, PASSWORD)
            ftp.set_pasv(False)
            if eprt:
                # ftplib sends EPRT only on IPv6; the same listener, announced by EPRT.
                ftp.sendport = lambda host, port, ftp=ftp: ftp.voidcmd("EPRT |1|%s|%d|" % (host, port))
            _round_trip(ctx, ftp, label)
            ftp.quit()


@test
def nat_active_private_address_refused(ctx):
    """Behind a NAT, a client's PORT and EPRT name its private address, not the one wharfd sees: both are refused at once with 5xx (bounce protection), and nothing is connected to."""
    control = Control(ctx, ANY)
    control.login()
    listener = control.default_port_listener()
    host, port = listener.getsockname()
    started = time.monotonic()
    reply = control.cmd("PORT %s,%d,%d" % (host.replace(".", ","), port >> 8, port & 255))
    check(reply[:1] == "5", "PORT %s got %r" % (host, reply))
    reply = control.cmd("EPRT |1|%s|%d|" % (host, port))
    check(reply[:1] == "5", "EPRT %s got %r" % (host, reply))
    print("# PORT/EPRT %s: %r after %.2f s" % (host, reply, time.monotonic() - started))
    check(time.monotonic() - started < 1, "the refusals took %.2f s" % (time.monotonic() - started))
    expect(control.cmd("NOOP"), "200")
