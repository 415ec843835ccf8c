"""SITE CHMOD on local disk.

FEAT, OPTS, SYST/STAT/HELP/NOOP and TYPE/MODE/STRU/ACCT/ALLO need no real
client; they are checked in process in wharf-session's transcripts
(crates/wharf-session/src/transcripts/server_info.rs, transfer_params.rs)."""

import os

from .harness import check, expect, connect, send, quit_quietly, test


@test
def site_commands(ctx):
    """SITE HELP gets 214, SITE CHMOD 640 changes the permission bits on disk (200), unknown SITE commands get 502 (or 500/504)."""
    path = ctx.write("mode.txt", b"x")
    os.chmod(path, 0o644)
    ftp = connect(ctx)
    expect(send(ftp, "SITE HELP"), "214")
    expect(send(ftp, "SITE CHMOD 640 mode.txt"), "200")
    mode = os.stat(path).st_mode & 0o777
    check(mode == 0o640, "SITE CHMOD 640 left mode %o" % mode)
    expect(send(ftp, "SITE CHMOD 600 missing.txt"), "550")
    expect(send(ftp, "SITE FROBNICATE"), "502", "500", "504")
    quit_quietly(ftp)
