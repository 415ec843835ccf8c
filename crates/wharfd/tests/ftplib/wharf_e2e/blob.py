"""Through wharfd in front of an object store (Azurite): the transfer
behaviours of the blob bridge, with ftplib as the default user. The server's
`/` is the storage account: the tests make a container first."""

import socket
import struct

from .harness import TIMEOUT, check, expect, connect, send, quit_quietly, retr, stor, random_data, mlsx_facts, test


def _container(ftp, name):
    expect(send(ftp, "MKD /" + name), "257")
    ftp.cwd("/" + name)


@test
def blob_broken_upload_leaves_nothing(ctx):
    """An upload reset by the client mid-way (TCP RST) ends with 426/451 and leaves no blob under the name; a complete one is there."""
    ftp = connect(ctx)
    _container(ftp, "broken")
    ftp.voidcmd("TYPE I")
    conn = ftp.transfercmd("STOR half.bin")
    conn.sendall(random_data(3 * 1024 * 1024, 1))
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
    try:
        reply = ftp.voidresp()
    except Exception as e:  # error_temp / error_perm carry the reply
        reply = str(e)
    check(reply[:3] in ("426", "451"), "reset upload answered %r" % reply)
    expect(stor(ftp, "whole.bin", b"complete"), "226")
    names = ftp.nlst()
    check("half.bin" not in names and "whole.bin" in names, "listing after a broken upload: %r" % names)
    quit_quietly(ftp)


@test
def blob_rest_appe_mfmt(ctx):
    """REST resumes a download from an offset (range read), APPE appends to an existing blob, and MFMT's time shows in MLSD and MDTM."""
    ftp = connect(ctx)
    _container(ftp, "files")
    data = random_data(1_000_000, 2)
    expect(stor(ftp, "a.bin", data), "226")
    check(retr(ftp, "a.bin", rest=700_000) == data[700_000:], "REST + RETR gave other bytes")
    more = random_data(300_000, 3)
    expect(stor(ftp, "a.bin", more, cmd="APPE"), "226")
    check(retr(ftp, "a.bin") == data + more, "APPE did not append")
    expect(send(ftp, "MFMT 20200102030405 a.bin"), "213")
    expect(send(ftp, "MDTM a.bin"), "213")
    check(send(ftp, "MDTM a.bin").endswith("20200102030405"), "MDTM after MFMT")
    facts = {name: f for f, name in (mlsx_facts(line) for line in _mlsd_lines(ftp))}
    check(facts.get("a.bin", {}).get("modify", "").startswith("20200102030405"), "MLSD modify: %r" % facts.get("a.bin"))
    quit_quietly(ftp)


def _mlsd_lines(ftp):
    lines = []
    ftp.retrlines("MLSD", lines.append)
    return lines
