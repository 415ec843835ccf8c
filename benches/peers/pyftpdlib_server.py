"""pyftpdlib as a peer for benches/compare.sh: one user with a password on
one root directory, loopback only, passive ports from a given range, and
explicit FTPS when a certificate is given. Runs in the foreground until
killed; prints "listening on PORT" once it accepts connections.

    python pyftpdlib_server.py --port 2121 --root DIR --user U --password P \
        --passive-ports 29000-30999 [--cert PEM]
"""

import logging

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.log import config_logging
from pyftpdlib.servers import FTPServer

import peer_args


def main():
    parser = peer_args.parser(__doc__, passive_required=True)
    parser.add_argument("--cert", help="PEM holding certificate and key")
    args = parser.parse_args()

    authorizer = DummyAuthorizer()
    # Every permission: list, read, write, delete, rename, mkdir, chmod, mtime.
    authorizer.add_user(args.user, args.password, args.root, perm="elradfmwMT")

    handler = FTPHandler
    if args.cert:
        try:
            from pyftpdlib.handlers import TLS_FTPHandler
        except ImportError:
            logging.warning("pyOpenSSL is missing: serving plain FTP only")
        else:
            handler = TLS_FTPHandler
            handler.certfile = args.cert
    handler.authorizer = authorizer
    handler.passive_ports = peer_args.port_range(args.passive_ports)
    handler.banner = "pyftpdlib ready"

    # Logging every command would make the log the bottleneck.
    config_logging(level=logging.WARNING)
    server = FTPServer(("127.0.0.1", args.port), handler, backlog=1024)
    server.max_cons = 0
    server.max_cons_per_ip = 0
    print(f"listening on {args.port}", flush=True)
    server.serve_forever(handle_exit=True)


if __name__ == "__main__":
    main()
