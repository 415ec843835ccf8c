"""FTPS through wharfd's flags and real TLS sockets (RFC 4217): CCC with
--tls-allow-ccc (ftplib's own CCC, and a command behind close_notify in one
segment), --tls-required login/data/all with --anonymous, and robustness: a
clear-text client on the implicit port, garbage instead of a ClientHello.

AUTH/PBSZ/PROT ordering, AUTH twice, AUTH SSL and CCC refused need no real
client; they are checked in process in wharf-session's transcripts
(crates/wharf-session/src/transcripts/tls_policy.rs).

The server runs with --tls-self-signed (plus the flags e2e_ftps_ftplib.rs
names); every client here skips certificate verification.
"""

import os
import socket

from .harness import (
    TIMEOUT, USER, PASSWORD, check, expect, connect, send, quit_quietly, expect_refused, retr, stor,
    random_data, test,
)
from .tls import RawTLS, assert_data_tls, connect_implicit, connect_tls, expect_clean_close


def _server_still_serves(ctx, implicit=False):
    """A new client (explicit, and implicit when asked) logs in over TLS and
    round-trips a file under PROT P: the server survived."""
    data = random_data(70000, 23)
    ftp = connect_tls(ctx)
    expect(stor(ftp, "after.bin", data), "226", "250")
    check(retr(ftp, "after.bin") == data, "RETR after the bad client differs")
    assert_data_tls(ftp, 2)
    quit_quietly(ftp)
    if implicit:
        ftp = connect_implicit(ctx)
        check(retr(ftp, "after.bin") == data, "implicit RETR after the bad client differs")
        quit_quietly(ftp)


@test
def ftps_ccc_allowed(ctx):
    """With --tls-allow-ccc, FEAT lists CCC; CCC after login gets 200, TLS is shut down cleanly (close_notify both ways) and commands go on in clear text."""
    ftp = connect_tls(ctx)
    lines = [line.strip().upper() for line in expect(send(ftp, "FEAT"), "211").split("\n")[1:-1]]
    check("CCC" in lines, "FEAT lacks CCC: %r" % lines)
    expect(ftp.ccc(), "200")
    # unwrap() leaves the same socket object without its TLS layer.
    check(ftp.sock.version() is None, "still TLS after CCC: %r" % ftp.sock.version())
    expect(send(ftp, "NOOP"), "200")
    check(ftp.pwd() == "/", "PWD in clear after CCC")
    expect(send(ftp, "MKD after-ccc"), "257")
    check(os.path.isdir(ctx.path("after-ccc")), "MKD after CCC did nothing")
    quit_quietly(ftp)


@test
def ftps_ccc_command_behind_close_notify(ctx):
    """With --tls-allow-ccc, a clear command that reaches the server in the same TCP segment as the client's close_notify is read and answered, not lost in the TLS layer."""
    raw = RawTLS(ctx)
    raw.auth_tls()
    raw.login()
    expect(raw.cmd("CCC"), "200")
    check(raw.buf == b"", "bytes after the CCC reply: %r" % raw.buf)
    # Corked, the close_notify that unwrap() writes and the NOOP below leave
    # in one segment once uncorked (Linux holds corked data even with
    # TCP_NODELAY), so the server reads both at once.
    raw.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
    plain = raw.sock.unwrap()
    plain.sendall(b"NOOP\r\n")
    plain.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
    raw.sock = plain
    expect(raw.reply(), "200")
    expect(raw.cmd("PWD"), "257")
    raw.close()


@test
def ftps_required_login(ctx):
    """--tls-required login: USER before AUTH gets 530 and PASS in clear never logs in; anonymous is exempt; after AUTH TLS the login works (and clear data is allowed)."""
    ctx.write("pub.txt", b"public")
    plain = connect(ctx, login=False)
    expect(send(plain, "USER " + USER), "530")
    resp = send(plain, "PASS " + PASSWORD)
    check(resp[:1] in ("5",), "PASS in clear got %r" % resp)
    expect(send(plain, "PWD"), "530")
    quit_quietly(plain)
    anon = connect(ctx, login=False)
    expect(send(anon, "USER anonymous"), "331")
    expect(send(anon, "PASS guest@example.com"), "230")
    check(retr(anon, "pub.txt") == b"public", "anonymous RETR in clear")
    quit_quietly(anon)
    ftp = connect_tls(ctx, prot_p=False)
    check(retr(ftp, "pub.txt") == b"public", "clear data after a TLS login")
    expect(ftp.prot_p(), "200")
    check(retr(ftp, "pub.txt") == b"public", "PROT P data after a TLS login")
    assert_data_tls(ftp, 1)
    quit_quietly(ftp)


@test
def ftps_required_data(ctx):
    """--tls-required data: login in clear works but RETR gets 534; over TLS, PROT C gets 534, RETR before PROT P 534, and PROT P transfers work; anonymous is exempt."""
    data = random_data(5000, 29)
    ctx.write("d.bin", data)
    plain = connect(ctx)
    expect_refused(lambda: retr(plain, "d.bin"), "534")
    expect_refused(lambda: stor(plain, "clear.bin", b"x"), "534")
    check(not os.path.exists(ctx.path("clear.bin")), "a refused STOR left a file")
    quit_quietly(plain)
    ftp = connect_tls(ctx, prot_p=False)
    expect_refused(lambda: retr(ftp, "d.bin"), "534")
    expect(send(ftp, "PBSZ 0"), "200")
    expect(send(ftp, "PROT C"), "534")
    expect_refused(lambda: retr(ftp, "d.bin"), "534")
    expect(ftp.prot_p(), "200")
    check(retr(ftp, "d.bin") == data, "PROT P RETR differs")
    assert_data_tls(ftp, 1)
    quit_quietly(ftp)
    anon = connect(ctx, login=False)
    expect(send(anon, "USER anonymous"), "331")
    expect(send(anon, "PASS guest@example.com"), "230")
    check(retr(anon, "d.bin") == data, "anonymous RETR in clear")
    quit_quietly(anon)


@test
def ftps_required_all(ctx):
    """--tls-required all: USER before AUTH gets 530; over TLS, PROT C gets 534 and RETR without PROT P 534; PROT P works."""
    ctx.write("a.txt", b"all")
    plain = connect(ctx, login=False)
    expect(send(plain, "USER " + USER), "530")
    quit_quietly(plain)
    ftp = connect_tls(ctx, prot_p=False)
    expect_refused(lambda: retr(ftp, "a.txt"), "534")
    expect(send(ftp, "PBSZ 0"), "200")
    expect(send(ftp, "PROT C"), "534")
    expect(ftp.prot_p(), "200")
    check(retr(ftp, "a.txt") == b"all", "PROT P RETR")
    assert_data_tls(ftp, 1)
    quit_quietly(ftp)


@test
def ftps_plaintext_client_on_implicit_port(ctx):
    """A clear-text client on the implicit port that sends `USER x` gets no FTP reply and a clean close (EOF within 5 s, at most a TLS alert); the server goes on serving."""
    for _ in range(2):
        sock = socket.create_connection((ctx.host, ctx.implicit_port), timeout=TIMEOUT)
        sock.sendall(b"USER x\r\n")
        expect_clean_close(sock)
        sock.close()
    _server_still_serves(ctx, implicit=True)


@test
def ftps_garbage_instead_of_client_hello(ctx):
    """After 234 to AUTH TLS, text or a malformed handshake record instead of a ClientHello ends the connection cleanly (EOF within 5 s, at most a TLS alert); the server goes on serving."""
    garbage = [
        b"this is not a ClientHello\r\n",
        b"\x16\x03\x01\x00\x20" + random_data(32, 31),
        b"\x16\x03\x01\xff\xff" + b"\x00" * 100,
    ]
    for junk in garbage:
        raw = RawTLS(ctx)
        expect(raw.cmd("AUTH TLS"), "234")
        raw.send(junk)
        expect_clean_close(raw.sock)
        raw.close()
    _server_still_serves(ctx)


@test
def ftps_garbage_on_implicit_port(ctx):
    """On the implicit port, garbage or a malformed handshake record instead of a ClientHello ends the connection cleanly (EOF within 5 s, at most a TLS alert); the server goes on serving."""
    garbage = [
        random_data(200, 37),
        b"\x16\x03\x01\x00\x20" + random_data(32, 41),
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    ]
    for junk in garbage:
        sock = socket.create_connection((ctx.host, ctx.implicit_port), timeout=TIMEOUT)
        sock.sendall(junk)
        expect_clean_close(sock)
        sock.close()
    _server_still_serves(ctx, implicit=True)
