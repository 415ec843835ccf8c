"""ftplib sessions through the fleet's balancer, each from its own source
address (`source_address`, which ftplib also binds its data connections
to).

    python3 fleet_client.py HOST PORT USER PASSWORD SESSION...

A SESSION is `FROM,MODE,TLS,ACTION,NAME,FILE`:
  FROM    the source address (127.0.1.x)
  MODE    pasv or epsv
  TLS     plain, or ftps (explicit AUTH TLS, PROT P, every data
          connection resuming the control connection's TLS session, as
          wharfd requires by default)
  ACTION  stor (upload FILE as NAME) or retr (download NAME into FILE)

Sessions run one after another, each a new control connection; any
failure exits non-zero with the session and the error on stderr.
"""

import ftplib
import ssl
import sys


class Fleet(ftplib.FTP_TLS):
    """One client for both forms: plain unless `auth()` ran; PASV or EPSV
    by choice (ftplib picks by address family alone)."""

    def __init__(self, epsv):
        self.epsv = epsv
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        super().__init__(context=context, timeout=30)

    def makepasv(self):
        if not self.epsv:
            return super().makepasv()
        return ftplib.parse229(self.sendcmd("EPSV"), self.sock.getpeername())

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(
                conn, server_hostname=self.host, session=self.sock.session
            )
            if not conn.session_reused:
                raise RuntimeError("the data connection did not resume the TLS session")
        return conn, size


def session(host, port, user, password, spec):
    source, mode, tls, action, name, path = spec.split(",")
    ftp = Fleet(epsv=(mode == "epsv"))
    ftp.connect(host, port, source_address=(source, 0))
    if tls == "ftps":
        ftp.auth()
    # FTP_TLS.login sends AUTH TLS itself unless told the session is plain.
    ftp.login(user, password, secure=(tls == "ftps"))
    if tls == "ftps":
        ftp.prot_p()
    ftp.set_pasv(True)
    if action == "stor":
        with open(path, "rb") as f:
            ftp.storbinary(f"STOR {name}", f)
    else:
        with open(path, "wb") as f:
            ftp.retrbinary(f"RETR {name}", f.write)
    ftp.quit()


def main():
    host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    for spec in sys.argv[5:]:
        try:
            session(host, port, user, password, spec)
        except Exception as error:  # noqa: BLE001 - reported, then exit 1
            print(f"{spec}: {error!r}", file=sys.stderr)
            sys.exit(1)
        print(f"{spec}: ok")


if __name__ == "__main__":
    main()
