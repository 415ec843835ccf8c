"""Load: many clients at once."""

import hashlib
import threading
import time

from .harness import TIMEOUT, check, connect, quit_quietly, retr, stor, random_data, test


@test
def concurrent_clients(ctx):
    """50 clients at once each log in, STOR a distinct 64 KiB file and RETR it back; every file is intact on the wire and on disk."""
    clients = 50
    barrier = threading.Barrier(clients, timeout=20)
    errors = []
    digests = {}
    logged_in = []  # seconds from start until each client was logged in
    start = time.monotonic()

    def client(i):
        name = "client-%02d.bin" % i
        data = random_data(64 * 1024, 1000 + i)
        try:
            # 50 password checks at once can queue for a while on 2 cores.
            ftp = connect(ctx, timeout=20)
            ftp.timeout = TIMEOUT
            logged_in.append(time.monotonic() - start)
            barrier.wait()
            ftp.voidcmd("TYPE I")
            stor(ftp, name, data)
            got = retr(ftp, name)
            if hashlib.sha256(got).digest() != hashlib.sha256(data).digest():
                errors.append("%s: RETR returned %d bytes that differ" % (name, len(got)))
            digests[name] = hashlib.sha256(data).hexdigest()
            quit_quietly(ftp)
        except Exception as e:  # collected and reported below
            errors.append("%s: %s: %s (at %.1f s)" % (name, type(e).__name__, e, time.monotonic() - start))
            barrier.abort()

    threads = [threading.Thread(target=client, args=(i,), name="c%02d" % i) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.1, 20 - (time.monotonic() - start)))
    stuck = [t.name for t in threads if t.is_alive()]
    timing = "%d clients logged in, the last after %.1f s" % (len(logged_in), max(logged_in, default=0))
    check(not stuck, "clients still running after 20 s: %r; %s" % (stuck, timing))
    check(not errors, "%d of %d clients failed (%s):\n  %s"
          % (len(errors), clients, timing, "\n  ".join(sorted(errors)[:20])))
    for name, digest in digests.items():
        with open(ctx.path(name), "rb") as f:
            check(hashlib.sha256(f.read()).hexdigest() == digest, "%s differs on disk" % name)
    check(len(digests) == clients, "only %d files stored" % len(digests))
