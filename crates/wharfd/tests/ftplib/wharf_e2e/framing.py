"""Command-line framing: overlong lines, odd bytes, CRLF split across TCP
segments."""

import os
import time

from .harness import check, expect, test
from .raw import Raw


@test
def long_line(ctx):
    """A 10 000-byte command line gets exactly one 500 reply, a 1 MiB line too, and the session goes on."""
    raw = Raw(ctx)
    raw.login()
    line = b"STOR " + b"a" * 9995
    check(len(line) == 10000, "test line length")
    expect(raw.cmd(line), "500")
    expect(raw.cmd("PWD"), "257")
    raw.send(b"X" * (1 << 20) + b"\r\n")
    expect(raw.reply(), "500")
    expect(raw.cmd("PWD"), "257")
    raw.assert_quiet()
    check(os.listdir(ctx.root) == [], "the long STOR created something: %r" % os.listdir(ctx.root)[:3])
    raw.close()


@test
def odd_bytes_get_one_reply(ctx):
    """A line holding a NUL byte, and one with Telnet IAC sequences, each get exactly one reply and the session goes on."""
    raw = Raw(ctx)
    raw.login()
    resp = raw.cmd(b"CWD a\x00b")
    check(resp[:1] in ("5", "2"), "reply to a NUL line: %r" % resp)
    expect(raw.cmd("PWD"), "257")
    # IAC WILL ECHO (negotiation, dropped) before NOOP.
    expect(raw.cmd(b"\xff\xfb\x01NOOP"), "200")
    expect(raw.cmd("PWD"), "257")
    raw.assert_quiet()
    raw.close()


@test
def crlf_split_across_segments(ctx):
    """A command whose bytes, including CR and LF, arrive in separate TCP segments is one command with one reply."""
    raw = Raw(ctx)
    for parts in ([b"NO", b"OP\r\n"], [b"NOOP\r", b"\n"], [b"N", b"O", b"O", b"P", b"\r", b"\n"]):
        for part in parts:
            raw.send(part)
            time.sleep(0.05)
        expect(raw.reply(), "200")
        raw.assert_quiet(0.2)
    raw.close()
