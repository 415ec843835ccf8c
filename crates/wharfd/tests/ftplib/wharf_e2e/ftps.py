"""FTPS transfers (RFC 4217): PROT P uploads and downloads with a client
that resumes the control session, listings, implicit FTPS, the data-channel
session-reuse rule (stock FTP_TLS, a stranger's TLS session) and the server
log never holding a password.

The server runs with --tls-self-signed (plus the flags e2e_ftps_ftplib.rs
names); every client here skips certificate verification.
"""

import ftplib
import os
import socket
import ssl
import time

from .harness import (
    TIMEOUT, check, code_of, expect, connect, send, quit_quietly, data_port, retr, stor,
    random_data, test,
)
from .tls import (
    StockFTPS, RawTLS, assert_data_tls, assert_tls, client_context, connect_implicit, connect_tls,
)

# Sizes around TLS record (16 KiB) and buffer (64 KiB) boundaries.
SIZES = [0, 1, 1000, 16383, 16384, 16385, 65535, 65536, 65537, 1024 * 1024 + 3]

# The user `ftps_password_never_logged` logs in as; e2e_ftps_ftplib.rs starts
# the server with `--user LOG_USER:LOG_PASSWORD` and then searches its log for
# LOG_PASSWORD and WRONG_PASSWORD.
LOG_USER = "carl"
LOG_PASSWORD = "Pw-never-in-log-4f1c9e"
WRONG_PASSWORD = "Wrong-never-in-log-7d2b"


def _round_trip(ctx, ftp, prefix, version=None):
    """STORs every size then RETRs it back: the disk and the download are
    byte-exact, and every data connection was TLS resuming the control
    session."""
    for i, size in enumerate(SIZES):
        data = random_data(size, 100 + i)
        name = "%s-%d.bin" % (prefix, size)
        try:
            resp = stor(ftp, name, data)
        except Exception as e:
            raise AssertionError(
                "STOR %s failed; the client's data connections so far as (TLS version, resumed): %r"
                % (name, getattr(ftp, "data_tls", []))
            ) from e
        expect(resp, "226", "250")
        check(ctx.read(name) == data, "STOR %s (%d bytes): the file on disk differs (%d bytes)"
              % (name, size, len(ctx.read(name))))
        check(retr(ftp, name) == data, "RETR %s (%d bytes) differs" % (name, size))
    assert_data_tls(ftp, 2 * len(SIZES), resumed=True, version=version)


@test
def ftps_feat_lists_tls(ctx):
    """FEAT (before AUTH) lists AUTH TLS, PBSZ and PROT, and not CCC when CCC is not allowed."""
    ftp = connect(ctx, login=False)
    lines = [line.strip().upper() for line in expect(send(ftp, "FEAT"), "211").split("\n")[1:-1]]
    for feature in ["AUTH TLS", "PBSZ", "PROT"]:
        check(feature in lines, "FEAT lacks %s: %r" % (feature, lines))
    check("CCC" not in lines, "FEAT lists CCC though --tls-allow-ccc is off: %r" % lines)
    quit_quietly(ftp)


@test
def ftps_stor_retr_prot_p(ctx):
    """Under PROT P, with data connections resuming the control session, STOR then RETR of 0 B to 1 MiB+3 are byte-exact on disk and on the wire, passive and active."""
    ftp = connect_tls(ctx)
    _round_trip(ctx, ftp, "pasv")
    ftp.set_pasv(False)
    data = random_data(300000, 7)
    expect(stor(ftp, "active.bin", data), "226", "250")
    check(ctx.read("active.bin") == data, "active STOR: the file on disk differs")
    check(retr(ftp, "active.bin") == data, "active RETR differs")
    assert_data_tls(ftp, 2, resumed=True)
    expect(send(ftp, "NOOP"), "200")
    quit_quietly(ftp)


@test
def ftps_stor_retr_tls12(ctx):
    """The same round trips with TLS 1.2 on control and data (session-ID/ticket resumption)."""
    ftp = connect_tls(ctx, version="1.2")
    _round_trip(ctx, ftp, "tls12", version="1.2")
    quit_quietly(ftp)


@test
def ftps_stor_retr_tls13(ctx):
    """The same round trips with TLS 1.3 on control and data (ticket resumption, many data connections per control session)."""
    ftp = connect_tls(ctx, version="1.3")
    _round_trip(ctx, ftp, "tls13", version="1.3")
    quit_quietly(ftp)


@test
def ftps_listings_prot_p(ctx):
    """Under PROT P, NLST, MLSD and LIST come over TLS data connections and list exactly the directory."""
    ctx.write("dir/a.txt", b"a")
    ctx.write("dir/b file.bin", b"bb")
    os.makedirs(ctx.path("dir/sub"))
    ftp = connect_tls(ctx)
    names = sorted(ftp.nlst("dir"))
    check([n.rsplit("/", 1)[-1] for n in names] == ["a.txt", "b file.bin", "sub"], "NLST: %r" % names)
    entries = dict(ftp.mlsd("dir", facts=["type", "size"]))
    check(sorted(entries) == ["a.txt", "b file.bin", "sub"], "MLSD names: %r" % sorted(entries))
    check(entries["b file.bin"].get("size") == "2", "MLSD size: %r" % entries["b file.bin"])
    check(entries["sub"].get("type") == "dir", "MLSD type: %r" % entries["sub"])
    lines = []
    ftp.retrlines("LIST dir", lines.append)
    check(len([l for l in lines if not l.startswith("total")]) == 3, "LIST: %r" % lines)
    assert_data_tls(ftp, 3, resumed=True)
    quit_quietly(ftp)


@test
def ftps_implicit_transfers(ctx):
    """On the implicit port (TLS from the first byte, data protected without PROT P), login, STOR/RETR and NLST work byte-exact over resumed TLS data connections; PBSZ/PROT P are accepted there too."""
    ftp = connect_implicit(ctx)
    data = random_data(1024 * 1024 + 3, 11)
    expect(stor(ftp, "implicit.bin", data), "226", "250")
    check(ctx.read("implicit.bin") == data, "implicit STOR: the file on disk differs")
    check(retr(ftp, "implicit.bin") == data, "implicit RETR differs")
    check(ftp.nlst() == ["implicit.bin"], "NLST: %r" % ftp.nlst())
    assert_data_tls(ftp, 3, resumed=True)
    expect(send(ftp, "PBSZ 0"), "200")
    expect(send(ftp, "PROT P"), "200")
    check(retr(ftp, "implicit.bin") == data, "RETR after PROT P differs")
    quit_quietly(ftp)


def _clear_stranger_then_owner(ctx, ftp, name, data):
    """Under PROT P: a connection to the passive port that sends clear text
    instead of a ClientHello gets nothing (the file never goes out in clear)
    and is closed; the owner then connects with TLS resuming the control
    session and gets the file byte-exact (226)."""
    host, port = data_port(ftp, "EPSV")
    stranger = socket.create_connection((host, port), timeout=TIMEOUT)
    stranger.sendall(b"RETR in clear, please\r\n")
    ftp.putcmd("RETR " + name)
    got = b""
    stranger.settimeout(5)
    try:
        for _ in range(1000):
            block = stranger.recv(4096)
            if not block:
                break
            got += block
    except ConnectionResetError:
        pass
    except socket.timeout:
        check(False, "the clear-text data connection stayed open for 5 s")
    finally:
        stranger.close()
    check(data[:16] not in got, "the file went out in clear text")
    owner = socket.create_connection((host, port), timeout=TIMEOUT)
    conn = ftp.context.wrap_socket(owner, server_hostname=host, session=ftp.sock.session)
    check(conn.session_reused, "the owner's data connection did not resume the control session")
    received = b""
    try:
        for _ in range(100000):
            block = conn.recv(65536)
            if not block:
                break
            received += block
    finally:
        conn.close()
    resp = ftp.getmultiline()
    if code_of(resp) in ("150", "125"):
        resp = ftp.getmultiline()
    expect(resp, "226", "250")
    check(received == data, "the owner got %d bytes, not the %d of the file" % (len(received), len(data)))


@test
def ftps_implicit_clear_data_gets_nothing(ctx):
    """On the implicit port, a data connection that speaks clear text gets nothing and is closed; the owner's TLS data connection then gets the file."""
    data = random_data(50000, 19)
    ctx.write("secret.bin", data)
    ftp = connect_implicit(ctx)
    _clear_stranger_then_owner(ctx, ftp, "secret.bin", data)
    expect(send(ftp, "NOOP"), "200")
    quit_quietly(ftp)


@test
def ftps_clear_data_gets_nothing_under_prot_p(ctx):
    """Under PROT P (explicit), a data connection that speaks clear text gets nothing and is closed; the owner's TLS data connection then gets the file."""
    data = random_data(50000, 43)
    ctx.write("p.bin", data)
    ftp = connect_tls(ctx)
    _clear_stranger_then_owner(ctx, ftp, "p.bin", data)
    expect(send(ftp, "NOOP"), "200")
    quit_quietly(ftp)


@test
def ftps_stock_ftp_tls_refused(ctx):
    """Stock ftplib.FTP_TLS (a fresh TLS session per data connection) is refused with 425, quickly, under the default --tls-reuse-required: no data, no file stored, and the session goes on."""
    ctx.write("x.bin", b"payload")
    ftp = connect_tls(ctx, cls=StockFTPS)
    start = time.monotonic()
    got = bytearray()
    try:
        ftp.retrbinary("RETR x.bin", got.extend)
        check(False, "RETR succeeded without resuming the control session")
    except ftplib.error_temp as e:
        expect(str(e), "425")
    except (ssl.SSLError, OSError):
        # The data connection failed on the client side (after a 150); the
        # server must still answer the RETR with 425.
        expect(ftp.getmultiline(), "425")
    check(bytes(got) == b"", "data arrived: %r" % bytes(got))
    check(time.monotonic() - start < 5, "the refusal took %.1f s" % (time.monotonic() - start))
    try:
        stor(ftp, "new.bin", b"data")
        check(False, "STOR succeeded without resuming the control session")
    except ftplib.error_temp as e:
        expect(str(e), "425")
    except (ssl.SSLError, OSError):
        expect(ftp.getmultiline(), "425")
    check(not os.path.exists(ctx.path("new.bin")), "the refused STOR left a file")
    expect(send(ftp, "NOOP"), "200")
    quit_quietly(ftp)


@test
def ftps_stock_ftp_tls_without_reuse(ctx):
    """With --tls-reuse-required false, stock ftplib.FTP_TLS transfers byte-exact over TLS data connections (fresh sessions) and lists."""
    ftp = connect_tls(ctx, cls=StockFTPS)
    data = random_data(500000, 13)
    expect(stor(ftp, "stock.bin", data), "226", "250")
    check(ctx.read("stock.bin") == data, "STOR: the file on disk differs")
    check(retr(ftp, "stock.bin") == data, "RETR differs")
    check(ftp.nlst() == ["stock.bin"], "NLST: %r" % ftp.nlst())
    assert_data_tls(ftp, 3, resumed=False)
    quit_quietly(ftp)


@test
def ftps_foreign_tls_session_refused(ctx):
    """A data connection to the passive port carrying another TLS session (a fresh context, no resumption) is refused: the RETR gets 425 and the stranger no data; the owner's next transfer works."""
    data = random_data(100000, 17)
    ctx.write("private.bin", data)
    ftp = connect_tls(ctx)
    host, port = data_port(ftp, "EPSV")
    stranger = socket.create_connection((host, port), timeout=TIMEOUT)
    start = time.monotonic()
    ftp.putcmd("RETR private.bin")
    stolen = b""
    tls_stranger = None
    try:
        tls_stranger = client_context().wrap_socket(stranger, server_hostname=host)
        tls_stranger.settimeout(5)
        check(not tls_stranger.session_reused, "the stranger's fresh context resumed a session")
        for _ in range(1000):
            block = tls_stranger.recv(65536)
            if not block:
                break
            stolen += block
    except (ssl.SSLError, OSError):
        pass
    finally:
        (tls_stranger or stranger).close()
    check(stolen == b"", "the stranger received %d bytes" % len(stolen))
    resp = ftp.getmultiline()
    if code_of(resp) in ("150", "125"):
        resp = ftp.getmultiline()
    expect(resp, "425")
    check(time.monotonic() - start < 5, "the refusal took %.1f s" % (time.monotonic() - start))
    check(retr(ftp, "private.bin") == data, "the owner's RETR after the refusal differs")
    assert_data_tls(ftp, 1, resumed=True)
    quit_quietly(ftp)


@test
def ftps_password_never_logged(ctx):
    """Logins with LOG_USER over TLS and in clear, right and wrong passwords, and a transfer: the Rust wrapper then finds neither password anywhere in the server's log (at trace level)."""
    ftp = connect_tls(ctx, login=False)
    expect(send(ftp, "USER " + LOG_USER), "331")
    expect(send(ftp, "PASS " + WRONG_PASSWORD), "530")
    expect(ftp.login(LOG_USER, LOG_PASSWORD), "230")
    expect(ftp.prot_p(), "200")
    expect(stor(ftp, "logged.bin", b"x" * 1000), "226", "250")
    quit_quietly(ftp)
    plain = connect(ctx, login=False)
    expect(send(plain, "USER " + LOG_USER), "331")
    expect(send(plain, "PASS " + WRONG_PASSWORD), "530")
    expect(send(plain, "USER " + LOG_USER), "331")
    expect(send(plain, "PASS " + LOG_PASSWORD), "230")
    quit_quietly(plain)
    raw = RawTLS(ctx, implicit=True)
    assert_tls(raw.sock)
    expect(raw.cmd("USER " + LOG_USER), "331")
    expect(raw.cmd("PASS " + WRONG_PASSWORD), "530")
    raw.login(LOG_USER, LOG_PASSWORD)
    expect(raw.cmd("QUIT"), "221")
    raw.close()


@test
def ftps_silent_stranger_does_not_hold_up_the_transfer(ctx):
    """A silent TCP connection to the passive port from the client's own address
    (it never sends a ClientHello) does not delay the real client: its
    resuming TLS data connection is served at once and the file arrives."""
    data = random_data(200_000, 77)
    ctx.write("quiet.bin", data)
    ftp = connect_tls(ctx)
    host, port = data_port(ftp, "EPSV")
    stranger = socket.create_connection((host, port), timeout=TIMEOUT)
    time.sleep(0.2)
    started = time.monotonic()
    # The real client, on the same passive port, resuming the control session.
    raw = socket.create_connection((host, port), timeout=TIMEOUT)
    ftp.putcmd("RETR quiet.bin")
    expect(ftp.getresp(), "150")
    conn = ftp.context.wrap_socket(raw, server_hostname=ftp.host, session=ftp.sock.session)
    got = bytearray()
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        got.extend(chunk)
    conn.close()
    expect(ftp.voidresp(), "226")
    elapsed = time.monotonic() - started
    stranger.close()
    check(bytes(got) == data, "the file differs (%d bytes)" % len(got))
    check(elapsed < 5, "the transfer waited %.1f s behind the silent connection" % elapsed)
    quit_quietly(ftp)


@test
def ftps_multiplexed_passive_ports(ctx):
    """With --passive-multiplex, PROT P transfers of many sizes through the shared passive ports are byte-exact, and each data connection is TLS resuming the control session (the handshake happens after dispatch)."""
    ftp = connect_tls(ctx)
    _round_trip(ctx, ftp, "mux")
    quit_quietly(ftp)
