"""A control connection at the byte level, for tests that need exact bytes and replies."""

import re
import socket
import time

from .harness import PASSWORD, TIMEOUT, USER, check, expect, note


class Raw:
    """A control connection at the byte level, for framing tests."""

    def __init__(self, ctx, expect_greeting=True):
        self.sock = socket.create_connection((ctx.host, ctx.port), timeout=TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        if expect_greeting:
            expect(self.reply(), "220")

    def send(self, data):
        note(">", data if len(data) < 300 else data[:300] + b"...(%d bytes)" % len(data))
        self.sock.sendall(data)

    def cmd(self, line):
        """Sends one command line (str or bytes) and returns its reply."""
        if isinstance(line, str):
            line = line.encode("utf-8")
        self.send(line + b"\r\n")
        return self.reply()

    def readline(self, timeout=TIMEOUT):
        """One reply line without CRLF; raises EOFError when the server closed."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            check(left > 0, "no complete reply line within %.1f s (have %r)" % (timeout, self.buf[:200]))
            self.sock.settimeout(left)
            block = self.sock.recv(65536)
            if not block:
                raise EOFError("the server closed the control connection")
            self.buf += block
        line, _, self.buf = self.buf.partition(b"\n")
        line = line.rstrip(b"\r").decode("utf-8", "backslashreplace")
        note("<", line)
        return line

    def reply(self, timeout=TIMEOUT):
        """One complete reply (multi-line replies joined with '\\n')."""
        first = self.readline(timeout)
        check(re.match(r"^\d{3}[ -]", first) is not None, "malformed reply line %r" % first)
        lines = [first]
        if first[3] == "-":
            for _ in range(100000):
                line = self.readline(timeout)
                lines.append(line)
                if line[:3] == first[:3] and line[3:4] == " ":
                    break
            else:
                check(False, "multi-line reply does not end")
        return "\n".join(lines)

    def assert_quiet(self, wait=0.3):
        """Asserts the server sends nothing more (no stray extra reply)."""
        check(self.buf == b"", "unexpected extra data from server: %r" % self.buf[:200])
        self.sock.settimeout(wait)
        try:
            extra = self.sock.recv(4096)
        except socket.timeout:
            return
        finally:
            self.sock.settimeout(TIMEOUT)
        check(extra == b"", "unexpected extra reply from server: %r" % extra[:200])

    def login(self):
        expect(self.cmd("USER " + USER), "331")
        expect(self.cmd("PASS " + PASSWORD), "230")

    def expect_closed(self, timeout=5.0):
        """Asserts the server closes the connection (a 421 before it is fine)."""
        deadline = time.monotonic() + timeout
        for _ in range(10):
            left = deadline - time.monotonic()
            check(left > 0, "the connection stayed open for %.0f s" % timeout)
            try:
                line = self.readline(left)
            except (EOFError, ConnectionResetError, BrokenPipeError):
                return
            except (socket.timeout, AssertionError):
                check(False, "the connection stayed open for %.0f s" % timeout)
            check(line.startswith("421"), "expected the connection to close, got %r" % line)
        check(False, "the connection stayed open")

    def close(self):
        self.sock.close()
