#!/usr/bin/env python3
"""Protocol-level end-to-end tests of wharfd, driven by Python's ftplib.

Usage:
    python3 suite.py TEST_NAME HOST PORT ROOT_DIR [IMPLICIT_FTPS_PORT]
    python3 suite.py --list

Each test is one function in a module of the `wharf_e2e` package next to
this script (grouped by behaviour: login, server_info, paths, transfers,
abort, listings, data_connections, data_modes, framing, load,
configuration, hostile, blob, nat (the NAT and firewall
topologies of tests/e2e/e2e_nat/), and FTPS in ftps and ftps_commands). These
are the checks that need a real client, real sockets or wharfd's own
flags; the protocol as such is checked in process by wharf-session's
transcripts. A test talks to an already running server at HOST:PORT
whose `/` is ROOT_DIR on local disk (so a test can put fixtures in place and
check results byte for byte on disk), and whose implicit FTPS listener, if
the test needs one, is at HOST:IMPLICIT_FTPS_PORT. The server runs with user
alice:secret, `--failed-login-delay-ms 0` and whatever extra flags the Rust
wrapper (`tests/e2e/e2e_ftplib.rs`, `tests/e2e/e2e_ftps_ftplib.rs`) gives that
test. Exit status 0 means the test passed; on failure the script prints the
assertion and the last lines exchanged with the server.

Only the standard library is used. Every socket has a timeout and every loop
a bound.
"""

import socket
import sys
import traceback

# Keep the source tree free of __pycache__ directories.
sys.dont_write_bytecode = True

# Importing a test module registers its tests in TESTS.
from wharf_e2e import (  # noqa: E402,F401
    abort,
    blob,
    configuration,
    data_connections,
    data_modes,
    framing,
    hostile,
    ftps,
    ftps_commands,
    listings,
    load,
    login,
    nat,
    paths,
    server_info,
    transfers,
)
from wharf_e2e.harness import TESTS, TIMEOUT, Ctx, transcript_lines  # noqa: E402


def main(argv):
    if len(argv) == 2 and argv[1] == "--list":
        print("\n".join(sorted(TESTS)))
        return 0
    if len(argv) not in (5, 6):
        print(__doc__, file=sys.stderr)
        return 2
    name, host, port, root = argv[1:5]
    implicit_port = int(argv[5]) if len(argv) == 6 else None
    fn = TESTS.get(name)
    if fn is None:
        print("unknown test %r; known: %s" % (name, ", ".join(sorted(TESTS))), file=sys.stderr)
        return 2
    socket.setdefaulttimeout(TIMEOUT)
    try:
        fn(Ctx(host, int(port), root, implicit_port))
    except Exception:
        print("FAILED %s: %s" % (name, (fn.__doc__ or "").strip()))
        traceback.print_exc(file=sys.stdout)
        print("--- last lines exchanged with the server (> sent, < received) ---")
        for line in transcript_lines():
            print(line)
        sys.stdout.flush()
        return 1
    print("ok %s" % name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
