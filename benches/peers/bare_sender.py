"""A bare sender: the least FTP server that makes wharfd's download calls.

A reference for the download rows of benches/compare.sh. After the login
it answers only what a RETR needs (TYPE, SIZE, EPSV, RETR), one thread per
session, and moves the file as wharfd's plain downloads do: sendfile(2) of
up to 1 MiB per call on a non-blocking socket until the socket is full
(EAGAIN), then a wait until it is writable again. Nothing else runs: no
quotas, no watchdog, no runtime. So its row is what that call pattern alone
gets from the loopback, the page cache and the client on this machine, in
the same run; wharfd's ratio to it is the cost of everything wharfd adds.

(A blocking socket is not the lesser pattern: a blocking sendfile waits
inside the kernel for each freed slice of the send buffer, and in short
runs here it moved 1 GiB slower than wharfd.)

    python bare_sender.py --port 2121 --root DIR --user U --password P

Loopback only; a file name is looked up in ROOT by its last component.
Runs until killed; prints "listening on PORT" once it accepts connections.
"""

import argparse
import os
import select
import socket
import socketserver

CHUNK = 1 << 20


def send_file(data, path):
    """sendfile(2) until the whole file is out; returns the bytes sent."""
    fd = os.open(path, os.O_RDONLY)
    data.setblocking(False)
    writable = select.poll()
    writable.register(data, select.POLLOUT)
    try:
        size, offset = os.fstat(fd).st_size, 0
        while offset < size:
            try:
                sent = os.sendfile(data.fileno(), fd, offset, min(CHUNK, size - offset))
            except BlockingIOError:
                writable.poll()
                continue
            if sent == 0:
                break
            offset += sent
        return offset
    finally:
        os.close(fd)


class Session(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def path(self, name):
        return os.path.join(self.server.root, os.path.basename(name))

    def handle(self):
        self.reply("220 bare sender")
        user, logged_in, passive = None, False, None
        for raw in self.rfile:
            verb, _, arg = raw.decode("latin-1").strip().partition(" ")
            verb = verb.upper()
            if verb == "QUIT":
                self.reply("221 bye")
                break
            if verb == "USER":
                user, logged_in = arg, False
                self.reply("331 password")
            elif verb == "PASS":
                logged_in = (user, arg) == self.server.login
                self.reply("230 in" if logged_in else "530 no")
            elif not logged_in:
                self.reply("530 log in first")
            elif verb == "PWD":
                self.reply('257 "/"')
            elif verb in ("TYPE", "CWD", "NOOP"):
                self.reply("200 ok")
            elif verb == "SIZE":
                try:
                    self.reply(f"213 {os.path.getsize(self.path(arg))}")
                except OSError:
                    self.reply("550 no such file")
            elif verb == "EPSV":
                if passive:
                    passive.close()
                passive = socket.create_server(("127.0.0.1", 0))
                self.reply(f"229 passive (|||{passive.getsockname()[1]}|)")
            elif verb == "RETR" and passive:
                self.retr(passive, arg)
                passive = None
            else:
                self.reply("502 not here")
        if passive:
            passive.close()

    def retr(self, passive, name):
        path = self.path(name)
        if not os.path.isfile(path):
            passive.close()
            self.reply("550 no such file")
            return
        self.reply("150 sending")
        data, _ = passive.accept()
        passive.close()
        try:
            send_file(data, path)
        except OSError:
            self.reply("426 broken")
        else:
            self.reply("226 sent")
        finally:
            data.close()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args()
    server = Server(("127.0.0.1", args.port), Session)
    server.root, server.login = args.root, (args.user, args.password)
    print(f"listening on {args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
