"""Data connections: PASV/EPSV, the passive port range, foreign peers, active
PORT/EPRT, bounce protection, EPSV ALL and --active-any-address.

The tests the Rust side runs on both families (e2e_ftplib.rs, `name::v6`)
check on IPv6 what RFC 2428 makes of the IPv4-only PASV and PORT: PASV has
no address to give, so wharfd refuses it (425, naming EPSV); a PORT address
can never be the client's, so it is refused as any foreign address is."""

import socket
import time

from .harness import (
    TIMEOUT, check, code_of, expect, expect_class, connect, send, quit_quietly, data_port, transfer,
    retr, stor, random_data, test, eprt,
)


@test
def pasv_and_epsv_listing(ctx):
    """LIST works over a PASV (227) and an EPSV (229) data connection. On IPv6, PASV is refused (425, naming EPSV) and the session goes on; EPSV, `EPSV 2` work and `EPSV 1` gets 522 naming protocol 2 (RFC 2428 3)."""
    ctx.write("x.txt", b"x")
    ftp = connect(ctx)
    modes = ["PASV", "EPSV"]
    if ctx.ipv6:
        resp = expect(send(ftp, "PASV"), "425")
        check("EPSV" in resp, "the PASV refusal does not name EPSV: %r" % resp)
        check("(2)" in expect(send(ftp, "EPSV 1"), "522"), "EPSV 1 on IPv6 should offer (2)")
        expect(send(ftp, "EPSV 2"), "229")
        modes = ["EPSV"]
    for mode in modes:
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
    """Active mode works to the control connection's own address: ftplib's PORT (EPRT |2| on IPv6) round-trips a file, and EPRT to a local listener delivers a listing. On IPv6, PORT to the IPv4 loopback where a listener waits is refused (5xx) and never connected to."""
    data = random_data(200000, 5)
    ftp = connect(ctx)
    ftp.set_pasv(False)
    expect(stor(ftp, "active.bin", data), "226", "250")
    check(retr(ftp, "active.bin") == data, "RETR in active mode")
    resp, listing = _nlst_over_eprt(ftp, ctx.host)
    expect(resp, "200")
    check(listing.split() == [b"active.bin"], "NLST over EPRT: %r" % listing)
    if ctx.ipv6:
        with socket.create_server(("127.0.0.1", 0)) as listener:
            port = listener.getsockname()[1]
            expect_class(send(ftp, "PORT 127,0,0,1,%d,%d" % (port >> 8, port & 255)), "5")
            _expect_no_connection(ftp, listener)
    quit_quietly(ftp)


@test
def port_bounce_refused(ctx):
    """PORT/EPRT to a privileged port or to an address other than the client's (on IPv6: any IPv4 one) is refused with 5xx at once, and a following transfer does not use it."""
    ftp = connect(ctx)
    expect_class(send(ftp, "PORT 127,0,0,1,0,21"), "5")
    expect_class(send(ftp, eprt(ctx.host, 21)), "5")
    start = time.monotonic()
    expect_class(send(ftp, "EPRT |1|10.255.255.1|5000|"), "5")
    expect_class(send(ftp, "PORT 10,255,255,1,19,136"), "5")
    expect_class(send(ftp, "EPRT |2|::2|5000|" if ctx.ipv6 else "EPRT |2|::1|5000|"), "5")
    check(time.monotonic() - start < 3, "refusing foreign addresses took %.1f s" % (time.monotonic() - start))
    # A foreign address where something listens (127.0.0.2, not the control
    # connection's 127.0.0.1; 127.0.0.1 for a client on ::1): refused, and
    # never connected to.
    foreign = ctx.foreign_host()
    with socket.create_server((foreign, 0)) as listener:
        port = listener.getsockname()[1]
        expect_class(send(ftp, eprt(foreign, port)), "5")
        expect_class(send(ftp, "PORT %s,%d,%d" % (foreign.replace(".", ","), port >> 8, port & 255)), "5")
        _expect_no_connection(ftp, listener)
    expect(send(ftp, "NOOP"), "200")
    quit_quietly(ftp)


def _expect_no_connection(ftp, listener):
    """After refused PORT/EPRT commands no data channel is set up: a LIST
    now fails (425/503, possibly after a 150), and nothing connects to
    `listener`, the refused target."""
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


def _nlst_over_eprt(ftp, listen_host):
    """EPRT to a listener on listen_host (IPv4 or IPv6), NLST; returns (EPRT reply, data or None)."""
    with socket.create_server((listen_host, 0), family=_family(listen_host)) as listener:
        listener.settimeout(TIMEOUT)
        port = listener.getsockname()[1]
        resp = send(ftp, eprt(listen_host, port))
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


def _family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


@test
def active_any_address_allows_foreign_port(ctx):
    """With --active-any-address, EPRT to an address other than the client's (127.0.0.2; 127.0.0.1, the other family, for a client on ::1) is accepted and the listing arrives there."""
    ctx.write("x.txt", b"x")
    ftp = connect(ctx)
    foreign = ctx.foreign_host()
    resp, listing = _nlst_over_eprt(ftp, foreign)
    expect(resp, "200")
    check(listing.split() == [b"x.txt"], "NLST over EPRT to %s: %r" % (foreign, listing))
    quit_quietly(ftp)


@test
def epsv_all(ctx):
    """After EPSV ALL (200), PASV, PORT and EPRT are refused (5xx) while EPSV still works for transfers (RFC 2428 section 4)."""
    ctx.write("x.txt", b"x")
    ftp = connect(ctx)
    expect_class(send(ftp, "EPSV ALL"), "2")
    with socket.create_server((ctx.host, 0), family=_family(ctx.host)) as listener:
        port = listener.getsockname()[1]
        expect_class(send(ftp, "PASV"), "5")
        expect_class(send(ftp, "PORT 127,0,0,1,%d,%d" % (port >> 8, port & 255)), "5")
        expect_class(send(ftp, eprt(ctx.host, port)), "5")
    resp, listing = transfer(ftp, "NLST", mode="EPSV")
    expect(resp, "226", "250")
    check(listing.split() == [b"x.txt"], "NLST after EPSV ALL: %r" % listing)
    quit_quietly(ftp)
