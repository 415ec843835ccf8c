#!/usr/bin/env bash
# Real FTPS clients against one release wharfd with its default TLS policy
# (a PROT P data connection must resume its control connection's TLS
# session, else 425): curl (OpenSSL) uploads, lists and downloads N files
# over one control connection, and lftp (GnuTLS) mirrors them both ways
# with ftp:ssl-protect-data. wharfd's own counters (/metrics) then say how
# many data-connection handshakes completed and how many were refused for
# not resuming; under the default policy every completed one resumed.
#
#   benches/ftps_clients.sh [N]        (default N=50)
#
# T names the directory of the release binaries (default target/release).
set -euo pipefail
n=${1:-50}
T=${T:-${CARGO_TARGET_DIR:-target}/release}
command -v curl >/dev/null && command -v lftp >/dev/null || {
    echo "ftps_clients.sh: needs curl and lftp (apt-get install curl lftp)" >&2
    exit 2
}
work=$(mktemp -d /tmp/ftps-clients.XXXXXX)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/root" "$work/src" "$work/back" "$work/mirror"
for i in $(seq "$n"); do head -c 4096 /dev/urandom >"$work/src/f$i"; done
admin=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$T/wharfd" --listen 127.0.0.1:0 --root "$work/root" --user bench:benchpw --tls-self-signed \
    --passive-ports 23000-24999 --admin-listen "$admin" >"$work/wharfd.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "listening on ftp://" "$work/wharfd.out" && break; sleep 0.1; done
addr=$(sed -n 's#.*listening on ftp://##p' "$work/wharfd.out" | head -1)
url="ftp://bench:benchpw@$addr"
files=$(seq -s, 1 "$n")

# curl: one invocation, one control connection, one data connection per file.
curl -sS --ssl-reqd -k -T "$work/src/f{$files}" "$url/" >/dev/null
curl -sS --ssl-reqd -k -l "$url/" >"$work/list.txt"
curl -sS --ssl-reqd -k "$url/f[1-$n]" -o "$work/back/f#1"
for i in $(seq "$n"); do cmp -s "$work/src/f$i" "$work/back/f$i" || { echo "curl: f$i differs" >&2; exit 1; }; done
echo "curl $(curl --version | head -1 | cut -d' ' -f2,4-5): $n STOR + 1 NLST + $n RETR"

# lftp: mirror down, then up into a new directory.
lftp -c "set ssl:verify-certificate no; set ftp:ssl-force yes; set ftp:ssl-protect-data yes;
    open -u bench,benchpw ftp://$addr; mirror / $work/mirror; mkdir up; mirror -R $work/src /up" >/dev/null
echo "lftp $(lftp --version | head -1 | grep -o 'Version [0-9.]*' | cut -d' ' -f2): mirror of $n files down and up"

curl -s "http://127.0.0.1:$admin/metrics" | grep '^wharf_tls_handshakes' | sort
