"""Settings that come from the configuration file (`--config`): a users file
with per-user roots and read-only accounts, virtual hosts chosen with HOST
(RFC 7151), and the passive address chosen by client network."""

import os

from .harness import (
    USER, PASSWORD, check, expect, connect, send, quit_quietly, expect_refused, retr, stor, test,
)


@test
def users_file_roots_and_read_only(ctx):
    """Users from the users file land in their own roots (below the server root) and a read-only one cannot write; the command-line user still sees the whole root."""
    bob = connect(ctx, user="bob", password="bob-pw")
    expect(stor(bob, "mine.txt", b"bob's"), "226")
    quit_quietly(bob)
    check(os.path.exists(ctx.path("bob/mine.txt")), "bob's upload is not in root/bob/")

    ctx.write("carol/report.txt", b"for carol")
    carol = connect(ctx, user="carol", password="carol-pw")
    check(retr(carol, "report.txt") == b"for carol", "carol cannot read her root")
    expect_refused(lambda: stor(carol, "x.txt", b"no"), "550", "553")
    quit_quietly(carol)
    check(not os.path.exists(ctx.path("carol/x.txt")), "a read-only user wrote a file")

    alice = connect(ctx)
    check(retr(alice, "bob/mine.txt") == b"bob's", "the root user does not see bob's file")
    quit_quietly(alice)


@test
def host_selects_virtual_host(ctx):
    """HOST reports.test before USER selects that virtual host's users and root; an unknown HOST gets 504; without HOST the default users apply. HOST with the server's address as an IP literal (RFC 7151 3: `[127.0.0.1]`, `[::1]`) selects the host of that name, also written another way (`[0:0::1]`)."""
    ftp = connect(ctx, login=False)
    expect(send(ftp, "HOST nowhere.test"), "504")
    expect(send(ftp, "HOST Reports.Test"), "220")
    expect(send(ftp, "USER uploader"), "331")
    expect(send(ftp, "PASS up-pw"), "230")
    expect(stor(ftp, "daily.csv", b"1,2,3"), "226")
    quit_quietly(ftp)
    vhost_root = os.path.join(ctx.outside, "reports")
    check(os.path.exists(os.path.join(vhost_root, "daily.csv")), "upload not in the virtual host's root")

    # The default host's user is unknown to the virtual host...
    ftp = connect(ctx, login=False)
    expect(send(ftp, "HOST reports.test"), "220")
    expect(send(ftp, "USER " + USER), "331")
    expect(send(ftp, "PASS " + PASSWORD), "530")
    quit_quietly(ftp)
    # ...and the virtual host's user is unknown without HOST.
    ftp = connect(ctx, login=False)
    expect(send(ftp, "USER uploader"), "331")
    expect(send(ftp, "PASS up-pw"), "530")
    expect(send(ftp, "USER " + USER), "331")
    expect(send(ftp, "PASS " + PASSWORD), "230")
    quit_quietly(ftp)

    # The IP literal of the address the client dialled, as a client that
    # was given an address rather than a name sends it.
    literal_root = os.path.join(ctx.outside, "literal")
    spellings = ["[%s]" % ctx.host] + (["[0:0::1]"] if ctx.ipv6 else [])
    for i, literal in enumerate(spellings):
        ftp = connect(ctx, login=False)
        expect(send(ftp, "HOST %s" % ctx.host), "501", "504")
        expect(send(ftp, "HOST " + literal), "220")
        expect(send(ftp, "USER literal"), "331")
        expect(send(ftp, "PASS lit-pw"), "230")
        name = "by-literal-%d.txt" % i
        expect(stor(ftp, name, literal.encode()), "226")
        quit_quietly(ftp)
        check(os.path.exists(os.path.join(literal_root, name)), "upload after HOST %s not in its root" % literal)


@test
def passive_address_by_client_network(ctx):
    """With public_address 192.0.2.10 and an override 127.0.0.0/8 -> 127.0.0.1, a loopback client is told 127.0.0.1 and its transfer works."""
    ctx.write("f.bin", b"via override")
    ftp = connect(ctx)
    reply = send(ftp, "PASV")
    expect(reply, "227")
    check("(127,0,0,1," in reply, "override not applied: %r" % reply)
    quit_quietly(ftp)
    ftp = connect(ctx)
    check(retr(ftp, "f.bin") == b"via override", "PASV transfer through the override address")
    quit_quietly(ftp)


@test
def passive_address_without_matching_override(ctx):
    """With public_address 192.0.2.10 and an override for 10.0.0.0/8 only, a loopback client is told 192.0.2.10."""
    ftp = connect(ctx)
    reply = send(ftp, "PASV")
    expect(reply, "227")
    check("(192,0,2,10," in reply, "public address not announced: %r" % reply)
    quit_quietly(ftp)
