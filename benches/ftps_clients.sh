#!/usr/bin/env bash
# Real FTPS clients against one release wharfd with its default TLS policy
# (a PROT P data connection must resume its control connection's TLS
# session, else 425): lftp (GnuTLS) mirrors N files up and down with
# ftp:ssl-protect-data, and curl (OpenSSL) downloads them in one
# invocation. wharfd's own counters (/metrics) say how many data-connection
# handshakes completed and how many were refused for not resuming; under
# the default policy every completed one resumed. See
# docs/performance/ftps.md for why curl with OpenSSL before 8.12 resumes
# only the first data connection of each control connection.
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

# wharfd's handshake counters: "data-completed data-refused control-completed".
counts() {
    curl -s "http://127.0.0.1:$admin/metrics" | awk '
        /^wharf_tls_handshakes_total\{channel="data",result="completed"\}/ { c = $2 }
        /^wharf_tls_handshakes_total\{channel="data",result="resumption_refused"\}/ { r = $2 }
        /^wharf_tls_handshakes_total\{channel="control",result="completed"\}/ { k = $2 }
        END { printf "%d %d %d\n", c, r, k }'
}
report() { # LABEL BEFORE AFTER
    read -r c0 r0 k0 <<<"$2"
    read -r c1 r1 k1 <<<"$3"
    echo "$1: $((c1 - c0)) data handshakes resumed, $((r1 - r0)) refused for not resuming, $((k1 - k0)) control connections"
}

# lftp (GnuTLS): mirror up into a new directory, then down; one control
# connection, a data connection per file and per listing.
before=$(counts)
lftp -c "set ssl:verify-certificate no; set ftp:ssl-force yes; set ftp:ssl-protect-data yes;
    open -u bench,benchpw ftp://$addr; mkdir up; mirror -R $work/src /up; mirror /up $work/mirror" >/dev/null
for i in $(seq "$n"); do cmp -s "$work/src/f$i" "$work/mirror/f$i" || { echo "lftp: f$i differs" >&2; exit 1; }; done
report "lftp $(lftp --version | head -1 | grep -o 'Version [0-9.]*' | cut -d' ' -f2), $n files up and down" "$before" "$(counts)"

# curl (OpenSSL): N downloads in one invocation, which curl runs over one
# control connection until a transfer fails; it then opens a new one.
before=$(counts)
curl -sS --ssl-reqd -k "$url/up/f[1-$n]" -o "$work/back/f#1" 2>"$work/curl.err" || true
report "curl $(curl --version | head -1 | cut -d' ' -f2,4), $n downloads ($(grep -c . "$work/curl.err") failed)" "$before" "$(counts)"
