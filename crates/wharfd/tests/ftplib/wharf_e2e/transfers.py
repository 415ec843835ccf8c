"""File transfers: STOR/RETR in TYPE I and TYPE A, REST, APPE, STOU, a client
reset mid-upload, UTF-8 and non-UTF-8 names."""

import os
import re
import socket
import struct
import time

from .harness import (
    TIMEOUT, check, code_of, expect, connect, send, quit_quietly, data_port, transfer,
    expect_refused, retr, stor, random_data, test,
)


@test
def stor_retr_binary(ctx):
    """STOR then RETR in TYPE I round-trips 1 MiB holding every byte value, byte for byte, and the file on disk is identical."""
    data = bytes(range(256)) * 1024 + random_data(1 << 20, 2)
    ftp = connect(ctx)
    expect(stor(ftp, "binary.bin", data), "226", "250")
    check(ctx.read("binary.bin") == data, "the file on disk differs from what was sent")
    check(retr(ftp, "binary.bin") == data, "RETR returned different bytes")
    # Also over PASV explicitly (EPSV on IPv6), and an empty file.
    resp, got = transfer(ftp, "RETR binary.bin", mode=ctx.passive())
    expect(resp, "226", "250")
    check(got == data, "RETR over %s returned different bytes" % ctx.passive())
    expect(stor(ftp, "empty.bin", b""), "226", "250")
    check(ctx.read("empty.bin") == b"" and retr(ftp, "empty.bin") == b"", "empty file round trip")
    expect_refused(lambda: retr(ftp, "missing.bin"), "550")
    quit_quietly(ftp)


@test
def type_a_retr_converts_lf_to_crlf(ctx):
    """In TYPE A, RETR sends each LF of the file as CRLF, across buffer boundaries too."""
    text = b"".join(b"line %d of the text file\n" % i for i in range(20000)) + b"\nlast line without newline"
    ctx.write("text.txt", text)
    ftp = connect(ctx)
    expect(send(ftp, "TYPE A"), "200")
    resp, got = transfer(ftp, "RETR text.txt")
    expect(resp, "226", "250")
    check(got == text.replace(b"\n", b"\r\n"), "TYPE A RETR: %d bytes, expected %d; starts %r"
          % (len(got), len(text.replace(b"\n", b"\r\n")), got[:60]))
    check(ctx.read("text.txt") == text, "RETR changed the file")
    quit_quietly(ftp)


@test
def type_a_stor_converts_crlf_to_lf(ctx):
    """In TYPE A, STOR stores CRLF as LF, also when CR and LF arrive in different TCP segments."""
    ftp = connect(ctx)
    expect(send(ftp, "TYPE A"), "200")
    resp, _ = transfer(ftp, "STOR ascii.txt", upload=b"one\r\ntwo\r\n\r\nthree")
    expect(resp, "226", "250")
    check(ctx.read("ascii.txt") == b"one\ntwo\n\nthree", "stored %r" % ctx.read("ascii.txt"))
    resp, _ = transfer(ftp, "STOR split.txt", chunks=[b"alpha\r", b"\nbeta\r", b"\n"])
    expect(resp, "226", "250")
    check(ctx.read("split.txt") == b"alpha\nbeta\n", "split CRLF stored %r" % ctx.read("split.txt"))
    quit_quietly(ftp)


@test
def rest_retr_resumes_download(ctx):
    """REST n (350) then RETR sends the file from byte n; the offset is used once (the next RETR sends everything)."""
    data = random_data(100000, 3)
    ctx.write("resume.bin", data)
    ftp = connect(ctx)
    ftp.voidcmd("TYPE I")
    got = retr(ftp, "resume.bin", rest=40000)
    check(got == data[40000:], "REST 40000 + RETR returned %d bytes" % len(got))
    check(retr(ftp, "resume.bin") == data, "a RETR after the resumed one was not complete")
    expect(send(ftp, "REST 0"), "350")
    check(retr(ftp, "resume.bin") == data, "REST 0 + RETR")
    quit_quietly(ftp)


@test
def rest_stor_resumes_upload(ctx):
    """REST n then STOR continues a partial upload at byte n: the final file is the complete original."""
    data = random_data(100000, 4)
    ctx.write("partial.bin", data[:30000])
    ftp = connect(ctx)
    ftp.voidcmd("TYPE I")
    expect(send(ftp, "SIZE partial.bin"), "213")
    expect(stor(ftp, "partial.bin", data[30000:], rest=30000), "226", "250")
    got = ctx.read("partial.bin")
    check(got == data, "resumed upload gave %d bytes, expected %d (identical: %s)"
          % (len(got), len(data), got == data))
    check(retr(ftp, "partial.bin") == data, "RETR after resumed STOR")
    quit_quietly(ftp)


@test
def appe_appends(ctx):
    """APPE adds to the end of an existing file and creates a missing one."""
    ctx.write("log.txt", b"hello ")
    ftp = connect(ctx)
    expect(stor(ftp, "log.txt", b"world", cmd="APPE"), "226", "250")
    check(ctx.read("log.txt") == b"hello world", "APPE gave %r" % ctx.read("log.txt"))
    expect(stor(ftp, "fresh.txt", b"new", cmd="APPE"), "226", "250")
    check(ctx.read("fresh.txt") == b"new", "APPE to a new file gave %r" % ctx.read("fresh.txt"))
    quit_quietly(ftp)


@test
def stou_unique_names(ctx):
    """STOU answers '150 FILE: name', stores the data under that new name, and two STOUs never reuse a name."""
    ctx.write("existing.txt", b"old")
    ftp = connect(ctx)
    ftp.voidcmd("TYPE I")
    names = []
    for payload in [b"first unique", b"second unique"]:
        host, port = data_port(ftp, "EPSV")
        with socket.create_connection((host, port), timeout=TIMEOUT) as conn:
            resp = send(ftp, "STOU")
            match = re.search(r"FILE: (.+)$", resp.split("\n")[0])
            check(code_of(resp) in ("150", "125") and match is not None, "STOU reply %r lacks 150 FILE: name" % resp)
            conn.sendall(payload)
        expect(ftp.getmultiline(), "226", "250")
        name = match.group(1).strip()
        local = ctx.path(name.lstrip("/"))
        check(os.path.isfile(local), "STOU named %r but no such file exists" % name)
        with open(local, "rb") as f:
            check(f.read() == payload, "STOU file %r holds the wrong bytes" % name)
        names.append(name)
    check(names[0] != names[1], "two STOUs used the same name %r" % names[0])
    check(ctx.read("existing.txt") == b"old", "STOU overwrote a file")
    quit_quietly(ftp)


@test
def stor_reset_by_client(ctx):
    """A data connection reset by the client in the middle of STOR ends with 426 or 451 (never 226), and no file appears under the final name (atomic upload)."""
    ftp = connect(ctx)
    ftp.voidcmd("TYPE I")
    host, port = data_port(ftp, "EPSV")
    conn = socket.create_connection((host, port), timeout=TIMEOUT)
    expect(send(ftp, "STOR reset.bin"), "150", "125")
    conn.sendall(random_data(256 * 1024, 6))
    time.sleep(0.2)
    # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
    expect(ftp.getmultiline(), "426", "451")
    check(not os.path.exists(ctx.path("reset.bin")), "a reset upload left reset.bin behind")
    # The temporary file goes too (allow the server a moment to clean up).
    for _ in range(20):
        if not os.listdir(ctx.root):
            break
        time.sleep(0.1)
    check(os.listdir(ctx.root) == [], "a reset upload left %r" % os.listdir(ctx.root))
    expect(send(ftp, "NOOP"), "200")
    quit_quietly(ftp)


@test
def unicode_names(ctx):
    """UTF-8 file and directory names round-trip through MKD/PWD, STOR, NLST and RETR, and appear on disk as the same UTF-8 names."""
    names = ["café.txt", "日本語 ファイル.txt", "emoji 🚀.bin", "Ελληνικά"]
    ftp = connect(ctx)
    expect(send(ftp, "OPTS UTF8 ON"), "200")
    expect(send(ftp, "MKD répertoire"), "257")
    expect(send(ftp, "CWD répertoire"), "250")
    check(ftp.pwd() == "/répertoire", "PWD %r" % ftp.pwd())
    for name in names:
        expect(stor(ftp, name, name.encode("utf-8") * 3), "226", "250")
    listed = ftp.nlst()
    check(sorted(os.path.basename(n) for n in listed) == sorted(names), "NLST gave %r" % listed)
    for name in names:
        check(retr(ftp, name) == name.encode("utf-8") * 3, "RETR %r" % name)
    on_disk = sorted(os.listdir(os.path.join(ctx.root.encode(), "répertoire".encode("utf-8"))))
    check(on_disk == sorted(n.encode("utf-8") for n in names), "names on disk: %r" % on_disk)
    quit_quietly(ftp)


@test
def non_utf8_names(ctx):
    """A name in a legacy 8-bit encoding (Latin-1 byte 0xE9) is stored, listed and retrieved as the same bytes."""
    ftp = connect(ctx)
    ftp.encoding = "latin-1"
    expect(stor(ftp, "caf\xe9.txt", b"latin"), "226", "250")
    check(b"caf\xe9.txt" in os.listdir(ctx.root.encode()), "disk has %r" % os.listdir(ctx.root.encode()))
    check("caf\xe9.txt" in ftp.nlst(), "NLST gave %r" % ftp.nlst())
    check(retr(ftp, "caf\xe9.txt") == b"latin", "RETR of the Latin-1 name")
    quit_quietly(ftp)
