"""Server information and session parameters: FEAT, OPTS, SYST/STAT/HELP/NOOP,
TYPE/MODE/STRU/ACCT/ALLO and SITE."""

import os

from .harness import check, expect, connect, send, quit_quietly, reply_lines, test


@test
def feat_lists_extensions(ctx):
    """FEAT is a 211 multi-line reply whose lines start with a space and include EPSV, EPRT, MLST, SIZE, MDTM, REST STREAM and UTF8."""
    ftp = connect(ctx)
    resp = expect(send(ftp, "FEAT"), "211")
    lines = reply_lines(resp)
    check(lines[0].startswith("211-") and lines[-1].startswith("211 "), "FEAT is not multi-line: %r" % resp)
    features = {}
    for line in lines[1:-1]:
        check(line.startswith(" "), "FEAT line without leading space: %r" % line)
        name, _, params = line.strip().partition(" ")
        features[name.upper()] = params
    for required in ["EPSV", "EPRT", "MLST", "SIZE", "MDTM", "REST", "UTF8"]:
        check(required in features, "FEAT lacks %s: %r" % (required, resp))
    check(features["REST"].upper() == "STREAM", "FEAT says REST %r, expected REST STREAM" % features["REST"])
    mlst_facts = {f.rstrip("*").lower() for f in features["MLST"].split(";") if f}
    check({"type", "size", "modify"} <= mlst_facts, "MLST line lists facts %r" % features["MLST"])
    quit_quietly(ftp)


@test
def opts_utf8(ctx):
    """OPTS UTF8 ON is accepted with 200."""
    ftp = connect(ctx)
    expect(send(ftp, "OPTS UTF8 ON"), "200")
    quit_quietly(ftp)


@test
def syst_stat_help_noop(ctx):
    """SYST says '215 UNIX Type: L8'; STAT without argument is 211; HELP is 214; NOOP is 200."""
    ftp = connect(ctx)
    check(send(ftp, "SYST").startswith("215 UNIX Type: L8"), "SYST reply")
    expect(send(ftp, "STAT"), "211")
    expect(send(ftp, "HELP"), "214")
    expect(send(ftp, "NOOP"), "200")
    quit_quietly(ftp)


@test
def transfer_parameters(ctx):
    """TYPE I/A/L 8, MODE S, MODE B and STRU F are accepted (200); MODE C and unknown TYPE/STRU get 504 or 501; ACCT gets 202; ALLO gets 200 or 202."""
    ftp = connect(ctx)
    for cmd in ["TYPE I", "TYPE A", "TYPE A N", "TYPE L 8", "MODE B", "MODE S", "STRU F"]:
        expect(send(ftp, cmd), "200")
    for cmd in ["MODE C", "TYPE X", "STRU R"]:
        expect(send(ftp, cmd), "504", "501")
    expect(send(ftp, "ACCT billing"), "202")
    expect(send(ftp, "ALLO 1000"), "200", "202")
    quit_quietly(ftp)


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
