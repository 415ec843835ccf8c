"""Clients that attack the session engine's waits and its data channel
(issue 17): a client that never reads, one that trickles, one that pipelines
commands without reading replies, PROT changes over a kept MODE B
connection, passive ports hoarded from one address, SITE CHMOD with special
bits, and STOU's name. Each server runs with short timeouts (set by
`tests/e2e/hostile_session.rs`), so every test ends within seconds."""

import os
import socket
import stat
import time

from .data_modes import Control, recv_file
from .harness import (
    TIMEOUT, check, code_of, connect, expect, note, quit_quietly, random_data, send, test,
)
from .raw import Raw


def _epsv_port(raw):
    return int(expect(raw.cmd("EPSV"), "229").split("|")[3])


def _small_receive_buffer_connection(ctx, port):
    """A data connection whose receive buffer is small, so the server's
    writes block as soon as the kernel buffers fill."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(TIMEOUT)
    sock.connect((ctx.host, port))
    return sock


def _wait_reply(raw, seconds):
    """The next reply, waiting up to `seconds`."""
    return raw.reply(timeout=seconds)


@test
def hostile_listing_reader_that_never_reads(ctx):
    """A LIST whose client opens the data connection and never reads is
    given up after the stall timeout (2 s here) with 426; before, the idle
    timer was off during transfers and the session was held forever."""
    names = 30000
    os.makedirs(ctx.path("many"))
    for i in range(names):
        open(ctx.path("many/%s-%06d" % ("n" * 180, i)), "wb").close()
    raw = Raw(ctx)
    raw.login()
    port = _epsv_port(raw)
    data = _small_receive_buffer_connection(ctx, port)
    expect(raw.cmd("LIST /many"), "150", "125")
    started = time.monotonic()
    expect(_wait_reply(raw, 15), "426")
    check(time.monotonic() - started < 10, "the stall took %.1f s" % (time.monotonic() - started))
    data.close()
    expect(raw.cmd("NOOP"), "200")
    raw.close()


@test
def hostile_upload_trickle_hits_the_rate_floor(ctx):
    """An upload that sends one byte every 0.3 s never stalls for the 2 s
    stall timeout, but stays under the 1 KiB/s floor and is stopped with 426
    once the 2 s window ends; nothing is stored."""
    raw = Raw(ctx)
    raw.login()
    expect(raw.cmd("TYPE I"), "200")
    port = _epsv_port(raw)
    data = socket.create_connection((ctx.host, port), timeout=TIMEOUT)
    expect(raw.cmd("STOR trickle.bin"), "150", "125")
    started = time.monotonic()
    reply = None
    raw.sock.settimeout(0.3)
    for _ in range(60):
        try:
            data.sendall(b"x")
        except OSError:
            pass
        try:
            block = raw.sock.recv(4096)
        except socket.timeout:
            continue
        raw.buf += block
        reply = raw.reply()
        break
    check(reply is not None, "the trickle went on for %.0f s" % (time.monotonic() - started))
    expect(reply, "426")
    check("too slow" in reply, "the 426 does not say why: %r" % reply)
    check(not os.path.exists(ctx.path("trickle.bin")), "the stopped upload was stored")
    data.close()
    raw.close()


def _pipeline_until_closed(raw, line, seconds):
    """Sends `line` over and over without reading replies; returns how long
    it took until the server closed the connection, or None."""
    raw.sock.settimeout(0.2)
    chunk = (line + "\r\n").encode() * 64
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            raw.sock.send(chunk)
        except socket.timeout:
            continue
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - started
    return None


@test
def hostile_pipelining_before_login_ends_at_the_login_deadline(ctx):
    """A client that pipelines HELP (a multi-line reply) before login and
    never reads is closed once the login deadline (2 s) passes, although it
    sends a command all the time; before, the blocked reply write held the
    session forever."""
    raw = Raw(ctx)
    took = _pipeline_until_closed(raw, "HELP", 20)
    check(took is not None, "the session outlived the login deadline by 18 s")
    check(took < 12, "closed only after %.1f s" % took)
    raw.close()


@test
def hostile_pipelining_after_login_ends_at_the_write_timeout(ctx):
    """Logged in, the same client is closed once one reply cannot be written
    for the control write timeout (2 s)."""
    raw = Raw(ctx)
    raw.login()
    took = _pipeline_until_closed(raw, "HELP", 20)
    check(took is not None, "the session kept a blocked reply for 20 s")
    check(took < 12, "closed only after %.1f s" % took)
    raw.close()


@test
def hostile_prot_change_closes_a_kept_mode_b_connection(ctx):
    """A MODE B data connection opened under PROT C is not reused after
    PROT P: the server closes it and the next transfer gets 425 instead of
    sending "private" bytes in clear."""
    secret = b"private bytes " * 1000
    ctx.write("secret.bin", secret)
    ctx.write("public.bin", b"public")
    control = Control(ctx)
    control.secure()
    expect(control.cmd("PROT C"), "200")
    control.login()
    expect(control.cmd("TYPE I"), "200")
    expect(control.cmd("MODE B"), "200")
    port = int(expect(control.cmd("EPSV"), "229").split("|")[3])
    data = socket.create_connection((ctx.host, port), timeout=TIMEOUT)
    control.start("RETR public.bin")
    check(recv_file(data) == b"public", "the clear MODE B download differs")
    expect(control.reply(), "226")
    expect(control.cmd("PROT P"), "200")
    reply = control.cmd("RETR secret.bin")
    leaked = b""
    data.settimeout(2)
    try:
        leaked = data.recv(65536)
    except socket.timeout:
        leaked = b"(timeout: the connection stayed open)"
    except ConnectionResetError:
        leaked = b""
    check(leaked == b"", "the clear connection was kept after PROT P: %r" % leaked[:80])
    expect(reply, "425")
    control.close()


@test
def hostile_passive_ports_per_address_are_capped(ctx):
    """Without multiplexing one client address holds at most 3 passive
    listeners (the cap set for this test) across its sessions; the next
    PASV gets 425 with the reason, and a freed one can be taken again."""
    sessions = []
    for _ in range(3):
        raw = Raw(ctx)
        raw.login()
        expect(raw.cmd("PASV"), "227")
        sessions.append(raw)
    extra = Raw(ctx)
    extra.login()
    refused = expect(extra.cmd("PASV"), "425")
    check("passive" in refused.lower(), "the 425 gives no reason: %r" % refused)
    # ABOR drops the first session's listener; its slot is free again.
    expect(sessions[0].cmd("ABOR"), "226", "225")
    expect(extra.cmd("EPSV"), "229")
    for raw in sessions + [extra]:
        raw.close()


@test
def hostile_site_chmod_refuses_special_bits(ctx):
    """SITE CHMOD sets permission bits only: 4755, 2755 and 1777 get 550 and
    leave the mode alone; 755 still works."""
    ctx.write("tool", b"#!/bin/sh\n")
    os.chmod(ctx.path("tool"), 0o644)
    ftp = connect(ctx)
    for mode in ["4755", "2755", "1777", "6777"]:
        reply = send(ftp, "SITE CHMOD %s tool" % mode)
        expect(reply, "550")
        got = stat.S_IMODE(os.stat(ctx.path("tool")).st_mode)
        check(got == 0o644, "SITE CHMOD %s changed the mode to %o" % (mode, got))
    expect(send(ftp, "SITE CHMOD 755 tool"), "200")
    got = stat.S_IMODE(os.stat(ctx.path("tool")).st_mode)
    check(got == 0o755, "SITE CHMOD 755 gave %o" % got)
    quit_quietly(ftp)


@test
def hostile_stou_looks_once(ctx):
    """STOU picks one random name (base.<8 letters or digits>) even when
    base, base.1, ... exist, instead of probing name after name."""
    for name in ["base", "base.1", "base.2", "base.3"]:
        ctx.write(name, b"taken")
    ftp = connect(ctx)
    ftp.voidcmd("TYPE I")
    host, port = ftplib_epsv(ftp)
    with socket.create_connection((host, port), timeout=TIMEOUT) as conn:
        reply = send(ftp, "STOU base")
        expect(reply, "150")
        conn.sendall(b"fresh")
    expect(ftp.getmultiline(), "226")
    name = reply.split("FILE: ", 1)[1].strip().lstrip("/")
    suffix = name[len("base."):]
    check(name.startswith("base.") and len(suffix) == 8 and suffix.isalnum(),
          "STOU chose %r" % name)
    check(ctx.read(name) == b"fresh", "STOU stored the wrong bytes")
    for taken in ["base", "base.1", "base.2", "base.3"]:
        check(ctx.read(taken) == b"taken", "STOU changed %s" % taken)
    quit_quietly(ftp)


def ftplib_epsv(ftp):
    import ftplib
    resp = expect(send(ftp, "EPSV"), "229")
    return ftplib.parse229(resp, ftp.sock.getpeername())


@test
def hostile_quota_refuses_listings_at_the_limit(ctx):
    """Once the daily quota is used up, LIST, NLST and MLSD are refused with
    451 like RETR (before, listings went on past the limit)."""
    ctx.write("big.bin", b"q" * 300_000)
    ftp = connect(ctx)
    ftp.voidcmd("TYPE I")
    host, port = ftplib_epsv(ftp)
    with socket.create_connection((host, port), timeout=TIMEOUT) as conn:
        expect(send(ftp, "RETR big.bin"), "150")
        while conn.recv(65536):
            pass
    expect(ftp.getmultiline(), "451")
    for verb in ["LIST", "NLST", "MLSD"]:
        host, port = ftplib_epsv(ftp)
        with socket.create_connection((host, port), timeout=TIMEOUT):
            expect(send(ftp, verb), "451")
    quit_quietly(ftp)


@test
def hostile_quota_counts_type_a_wire_bytes(ctx):
    """In TYPE A every LF goes out as CRLF: the quota counts those wire
    bytes, so a download of 150,000 LFs under a 200,000-byte quota stops at
    the limit (before, it counted 150,000 and sent 300,000)."""
    ctx.write("lines.txt", b"\n" * 150_000)
    ftp = connect(ctx)
    ftp.voidcmd("TYPE A")
    host, port = ftplib_epsv(ftp)
    received = 0
    with socket.create_connection((host, port), timeout=TIMEOUT) as conn:
        expect(send(ftp, "RETR lines.txt"), "150")
        while True:
            block = conn.recv(65536)
            if not block:
                break
            received += len(block)
    final = ftp.getmultiline()
    note("<", "received %d bytes" % received)
    expect(final, "451")
    check(received < 200_000, "sent %d wire bytes under a 200000-byte quota" % received)
    quit_quietly(ftp)


@test
def hostile_silent_implicit_tls_client_ends_at_the_login_deadline(ctx):
    """A client that opens the implicit FTPS port and never starts its
    handshake is closed at the login deadline (2 s here), not after the
    30 s handshake limit on top of it."""
    check(ctx.implicit_port is not None, "the server has no implicit FTPS port")
    sock = socket.create_connection((ctx.host, ctx.implicit_port), timeout=TIMEOUT)
    started = time.monotonic()
    sock.settimeout(15)
    try:
        got = sock.recv(4096)
    except ConnectionResetError:
        got = b""
    except socket.timeout:
        check(False, "the silent connection stayed open for 15 s")
    took = time.monotonic() - started
    check(got == b"", "the server sent %r to a client that never started TLS" % got[:80])
    check(took < 8, "closed only after %.1f s" % took)
    sock.close()


@test
def hostile_rein_gets_a_fresh_login_deadline(ctx):
    """After REIN a session older than the login deadline (2 s here) can
    still log in again: REIN starts a new login time, it does not close a
    long-lived session at once."""
    raw = Raw(ctx)
    raw.login()
    time.sleep(3)
    expect(raw.cmd("NOOP"), "200")
    expect(raw.cmd("REIN"), "220")
    expect(raw.cmd("USER alice"), "331")
    expect(raw.cmd("PASS secret"), "230")
    raw.close()


@test
def hostile_throttled_download_is_not_cut_by_the_floor(ctx):
    """A download the server itself throttles to 500 KiB/s, below the
    1 MiB/s floor set for this test (judged over 1 s windows), completes:
    the time the server waits for its own bandwidth limit between its
    256 KiB steps is not held against the client."""
    data = random_data(600 * 1024, 7)
    ctx.write("slow.bin", data)
    ftp = connect(ctx)
    ftp.voidcmd("TYPE I")
    host, port = ftplib_epsv(ftp)
    received = bytearray()
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=TIMEOUT) as conn:
        expect(send(ftp, "RETR slow.bin"), "150")
        while True:
            block = conn.recv(65536)
            if not block:
                break
            received += block
    expect(ftp.getmultiline(), "226")
    check(bytes(received) == data, "the throttled download differs")
    took = time.monotonic() - started
    check(took > 0.8, "the download took %.2f s: the throttle did not apply" % took)
    quit_quietly(ftp)
