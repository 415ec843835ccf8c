"""A bare sender: the least FTP server that makes wharfd's download calls.

A reference for the plain download rows of benches/compare.sh. It answers
the login, PWD, CWD, TYPE, NOOP, SIZE, EPSV, RETR and QUIT, one thread per
session, and moves a file as wharfd's plain downloads do: sendfile(2) of up
to 1 MiB per call on a non-blocking socket until the socket is full
(EAGAIN), then epoll until it is writable again. Nothing else runs: no
quotas, no watchdog, no async runtime. At 1 client its row is what that
call pattern alone gets from the loopback, the page cache and the client
on this machine in the same run; wharfd's ratio to it holds everything
else wharfd does (under 1 % of the sending core in a profile) and how the
kernel's work landed in each. At 8 clients it is eight threads of one Python
process, a model of its own. The socket is non-blocking because a blocking
sendfile is not the lesser pattern on this machine
(docs/performance/profile-retr.md, 2026-12-08).

    python bare_sender.py --port 2121 --root DIR --user U --password P \\
        [--passive-ports 37000-38999]

Loopback only; a file name is looked up in ROOT by its last component.
--port 0 takes a free port. Runs until killed; prints "listening on PORT"
once it accepts connections.
"""

import itertools
import os
import select
import socket
import socketserver
import threading

import peer_args

CHUNK = 1 << 20
# How long a RETR waits for the client's data connection.
ACCEPT_TIMEOUT = 10.0


def send_file(data, path):
    """sendfile(2) until the whole file is out or it ends early; returns
    the bytes sent and the size the file had when opened."""
    fd = os.open(path, os.O_RDONLY)
    data.setblocking(False)
    writable = select.epoll()
    writable.register(data.fileno(), select.EPOLLOUT)
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
        return offset, size
    finally:
        writable.close()
        os.close(fd)


class Session(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def path(self, name):
        return os.path.join(self.server.root, os.path.basename(name))

    def handle(self):
        self.passive = None
        try:
            self.serve()
        finally:
            if self.passive:
                self.passive.close()

    def serve(self):
        self.reply("220 bare sender")
        user, logged_in = None, False
        for raw in self.rfile:
            verb, _, arg = raw.decode("latin-1").strip().partition(" ")
            verb = verb.upper()
            if verb == "QUIT":
                self.reply("221 bye")
                return
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
                path = self.path(arg)
                if os.path.isfile(path):
                    self.reply(f"213 {os.path.getsize(path)}")
                else:
                    self.reply("550 no such file")
            elif verb == "EPSV":
                if self.passive:
                    self.passive.close()
                    self.passive = None
                try:
                    self.passive = self.server.passive_socket()
                except OSError:
                    self.reply("425 no passive port free")
                    continue
                self.reply(f"229 passive (|||{self.passive.getsockname()[1]}|)")
            elif verb == "RETR":
                self.retr(arg)
            else:
                self.reply("502 not here")

    def retr(self, name):
        passive, self.passive = self.passive, None
        if passive is None:
            self.reply("425 EPSV first")
            return
        with passive:
            path = self.path(name)
            if not os.path.isfile(path):
                self.reply("550 no such file")
                return
            self.reply("150 sending")
            passive.settimeout(ACCEPT_TIMEOUT)
            try:
                data, _ = passive.accept()
            except TimeoutError:
                self.reply("425 no data connection")
                return
        try:
            with data:
                sent, size = send_file(data, path)
        except OSError:
            self.reply("426 connection broken")
            return
        self.reply("226 sent" if sent == size else "451 the file got shorter")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024

    def setup_passive(self, ports):
        """Passive ports from `ports` (a range), or the kernel's if None."""
        self.ports = ports
        self.next_port = itertools.cycle(ports) if ports else None
        self.lock = threading.Lock()

    def passive_socket(self):
        if not self.ports:
            return socket.create_server(("127.0.0.1", 0))
        for _ in self.ports:
            with self.lock:
                port = next(self.next_port)
            try:
                return socket.create_server(("127.0.0.1", port))
            except OSError:
                continue
        raise OSError("no free passive port")


def main():
    args = peer_args.parser(__doc__, passive_required=False).parse_args()
    ports = peer_args.port_range(args.passive_ports) if args.passive_ports else None
    server = Server(("127.0.0.1", args.port), Session)
    server.root, server.login = args.root, (args.user, args.password)
    server.setup_passive(ports)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
