"""ABOR in its variants, and the control connection answering while a transfer
runs."""

import socket
import time

from .harness import note, check, code_of, expect, connect, send, quit_quietly, retr, test
from .raw import Raw


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
