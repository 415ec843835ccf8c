"""Command-line framing over a real socket: CRLF split across TCP segments.

Overlong lines, NUL bytes and Telnet sequences need no real socket; they
are checked in process in wharf-session's transcripts
(crates/wharf-session/src/transcripts/sequencing.rs)."""

import time

from .harness import expect, test
from .raw import Raw


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
