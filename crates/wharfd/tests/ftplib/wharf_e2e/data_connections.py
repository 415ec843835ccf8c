"""Data connections: PASV/EPSV, the passive port range, foreign peers, active
PORT/EPRT, bounce protection, EPSV ALL and --active-any-address."""

import socket
import time

from .harness import (
    TIMEOUT, check, code_of, expect, expect_class, connect, send, quit_quietly, data_port, transfer,
    retr, stor, random_data, test,
)


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
