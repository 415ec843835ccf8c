#!/usr/bin/env bash
# wharfd against vsftpd, Pure-FTPd and pyftpdlib, in one run on loopback:
# installs the three peers if they are missing, starts each in the
# foreground on a temporary root with a configuration of its own (no system
# service is enabled or started), builds release wharfd and wharf-load, and
# lets wharf-load run every scenario against every server in turn,
# repetition after repetition. Prints one table; everything started here is
# stopped on exit.
#
# retr-big-curl repeats retr-big's download with real clients, one curl
# process per session, where retr-big's sessions share one wharf-load
# thread.
#
# FTPS rows (retr-big-tls, stor-big-tls, small-files-tls) run against every
# server: explicit FTPS (AUTH TLS, PBSZ 0, PROT P) with the same
# self-signed RSA-2048 certificate for all (wharfd included), each data connection resuming its
# session's TLS session (the table's notes count the resumed handshakes).
#
# Blob rows (blob-stor, blob-retr, blob-small-files, blob-list) are part of
# the default run: Azurite in memory, wharfd serving it through
# --azure-passthrough, and Microsoft's SDK (azure-storage-blob, installed
# here into .tools/azure-sdk) doing the same against the same Azurite; a
# second table gives wharfd / SDK. --no-blob leaves them out.
#
#   benches/compare.sh [--no-blob] [wharf-load flags...]
#   benches/compare.sh --size-mib 1024 --repeat 3 --seconds 5
#   benches/compare.sh --scenarios retr-big,small-files
#   benches/compare.sh --scenarios retr-big-tls,stor-big-tls,small-files-tls
#   benches/compare.sh --scenarios blob --size-mib 1024   (blob rows only)
#
# Every server's root is on tmpfs (/dev/shm), so the rows measure the
# servers rather than the disk; COMPARE_ROOT_BASE=/var/tmp (any folder)
# puts them on a disk instead; a file system without room for the rows
# (9 × --size-mib with the upload rows, else 1 ×) stops the script before
# anything starts. The stor-big rows also measure a second
# wharfd with --sync-uploads off ("wharfd-nosync"), which answers from the
# page cache as the peers do. The retr-big and small-files rows also
# measure "wharfd-twin", a second wharfd with the same flags: its ratio is
# the noise floor of that run. The plain download rows also measure
# "bare-sender" (benches/peers/bare_sender.py), the least FTP server that
# makes wharfd's download calls: at 1 client its row is what that call
# pattern alone gets in the run (at 8 its threads are a model of their own).
#
# COMPARE_TCP_CC=cubic (any name the kernel offers) sets the machine's TCP
# congestion control for the run and restores it on exit; the line
# compare.sh prints about the machine (cores, kernel, roots) names the one in effect.
#
# Needs root (apt-get, a local user for vsftpd and Pure-FTPd). With
# WHARFD=path and WHARF_LOAD=path both set, those binaries are used as they
# are and nothing is built.
set -euo pipefail
# The rest is one block, which bash reads whole before running any of it.
# It reads a plain script as it goes, so an edit saved during a 40-minute
# run would be read from the old offset once the measuring ends.
{
cd "$(dirname "$0")/.."
repo=$PWD
tools=$repo/.tools
user=wharfbench
blob=1
load_args=()
for arg in "$@"; do
    if [[ $arg == --no-blob ]]; then blob=; else load_args+=("$arg"); fi
done
# Azurite's well-known development account and key (public, emulator only).
az_account=devstoreaccount1
az_key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
sdk_version=12.31.1

# --- Peers -----------------------------------------------------------------

# Debian starts a service when its package is installed, unless
# policy-rc.d says no: say no for the duration of our installs.
apt_install() {
    local policy=/usr/sbin/policy-rc.d made_policy=
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod +x "$policy"
        made_policy=1
    fi
    if [[ ! -e /tmp/.wharf-compare-apt-updated ]]; then
        apt-get update -q >/dev/null
        touch /tmp/.wharf-compare-apt-updated
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
    if [[ -n $made_policy ]]; then rm -f "$policy"; fi
}

install_peers() {
    command -v openssl >/dev/null || apt_install openssl
    command -v curl >/dev/null || apt_install curl
    command -v vsftpd >/dev/null || [[ -x /usr/sbin/vsftpd ]] || apt_install vsftpd
    # pure-ftpd and vsftpd conflict as packages (both provide ftp-server),
    # so Pure-FTPd is unpacked into .tools rather than installed; its
    # libraries are installed as usual.
    if [[ ! -x $tools/pure-ftpd/usr/sbin/pure-ftpd ]]; then
        apt_install libc6 libcap2 libcrypt1 libpam0g libsodium23 libssl3
        local debs
        debs=$(mktemp -d)
        chmod 755 "$debs"
        (cd "$debs" && apt-get download -q pure-ftpd pure-ftpd-common >/dev/null 2>&1)
        mkdir -p "$tools/pure-ftpd"
        for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$tools/pure-ftpd"; done
        rm -rf "$debs"
    fi
    if [[ ! -x $tools/pyftpdlib/bin/python ]]; then
        python3 -m venv "$tools/pyftpdlib" 2>/dev/null || {
            apt_install python3-venv
            python3 -m venv "$tools/pyftpdlib"
        }
        "$tools/pyftpdlib/bin/pip" install -q pyftpdlib pyopenssl
    fi
    if [[ -n $blob ]]; then
        command -v npm >/dev/null || apt_install npm
        scripts/emulators install >/dev/null
        local sdk=$tools/azure-sdk
        if ! "$sdk/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('azure-storage-blob') != '$sdk_version')" 2>/dev/null; then
            python3 -m venv "$sdk"
            "$sdk/bin/pip" install -q "azure-storage-blob==$sdk_version"
        fi
    fi
}

install_peers
vsftpd_bin=$(command -v vsftpd || echo /usr/sbin/vsftpd)
pure_bin=$tools/pure-ftpd/usr/sbin/pure-ftpd
pure_pw=$tools/pure-ftpd/usr/bin/pure-pw

if [[ -z ${WHARFD:-} || -z ${WHARF_LOAD:-} ]]; then
    cargo build --release -q -p wharfd -p wharf-benches
fi
wharfd=${WHARFD:-target/release/wharfd}
load=${WHARF_LOAD:-target/release/wharf-load}

# --- Start the peers ---------------------------------------------------------

# idle-sessions holds thousands of connections, on both sides.
hard=$(ulimit -Hn)
if [[ $hard == unlimited || $hard -gt 65536 ]]; then hard=65536; fi
ulimit -n "$hard"

root_base=${COMPARE_ROOT_BASE:-/dev/shm}
# Room for the download file (one, linked into every root) and, in the
# upload rows, one server's 8 uploads at once. Docker gives /dev/shm
# 64 MiB, which would fail mid-run.
size_mib=1024 scenarios=stor
for ((i = 0; i < ${#load_args[@]}; i++)); do
    case ${load_args[i]} in
        --size-mib) size_mib=${load_args[i + 1]:-} ;;
        --size-mib=*) size_mib=${load_args[i]#*=} ;;
        --scenarios) scenarios=${load_args[i + 1]:-} ;;
        --scenarios=*) scenarios=${load_args[i]#*=} ;;
    esac
done
if [[ $size_mib =~ ^[0-9]+$ ]]; then
    copies=1
    if [[ $scenarios == *stor* ]]; then copies=9; fi
    need_mib=$((copies * 10#$size_mib + 16))
    free_mib=$(($(df -Pk "$root_base" | awk 'NR == 2 {print $4}') / 1024))
    if ((free_mib < need_mib)); then
        echo "compare.sh: $root_base has $free_mib MiB free and the rows need about $need_mib MiB;" \
            "set COMPARE_ROOT_BASE to a larger file system or lower --size-mib" >&2
        exit 1
    fi
fi
tmp=$(mktemp -d "$root_base/wharf-compare.XXXXXX")
chmod 755 "$tmp" # the peers' session processes run as $user
# wharf-load's built-in wharfd makes its root in the temporary folder.
export TMPDIR=$tmp
pids=()
made_user=
# COMPARE_TCP_CC=NAME runs every row under that TCP congestion control
# and puts the machine's own back on exit. The setting is the machine's,
# the same for every server, and it decides much of the download rows on
# loopback: BBR paces each connection, cubic (Linux's default) does not
# (docs/performance/profile-retr.md).
cc_file=/proc/sys/net/ipv4/tcp_congestion_control
machine_cc=
# Each peer runs in a process group of its own (setsid), so that stopping
# it stops its session processes too.
cleanup() {
    for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$tmp"
    if [[ -n $made_user ]]; then userdel "$user" 2>/dev/null || true; fi
    if [[ -n $machine_cc ]]; then echo "$machine_cc" >"$cc_file"; fi
}
trap cleanup EXIT
if [[ -n ${COMPARE_TCP_CC:-} && $COMPARE_TCP_CC != "$(cat "$cc_file")" ]]; then
    if ! grep -qw -- "$COMPARE_TCP_CC" /proc/sys/net/ipv4/tcp_available_congestion_control; then
        modprobe "tcp_$COMPARE_TCP_CC" 2>/dev/null || true
    fi
    machine_cc=$(cat "$cc_file")
    echo "$COMPARE_TCP_CC" >"$cc_file" || {
        echo "compare.sh: cannot set TCP congestion control $COMPARE_TCP_CC" >&2
        exit 1
    }
fi

# vsftpd logs local users in through PAM, Pure-FTPd's virtual users map to
# a system uid: one unprivileged account serves both, with a password of
# this run (stored the system's way: SHA-512 crypt on Debian 12).
if ! id -u "$user" >/dev/null 2>&1; then
    useradd --no-create-home --home-dir /nonexistent --shell /bin/bash "$user"
    made_user=1
fi
password=bench-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
echo "$user:$password" | chpasswd

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
    -days 2 -subj /CN=localhost 2>/dev/null
cat "$tmp/cert.pem" "$tmp/key.pem" >"$tmp/cert-and-key.pem"
chmod 600 "$tmp"/*.pem

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_for_port() {
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "compare.sh: $2 is not listening on port $1; its log:" >&2
    cat "$tmp/$2.log" >&2
    return 1
}
new_root() {
    mkdir -p "$tmp/$1-root"
    chown "$user:" "$tmp/$1-root"
    echo "$tmp/$1-root"
}
targets=()

# vsftpd: standalone, in the foreground, one config file of our own. Passive
# ports of each server lie apart, the peers' below Linux's ephemeral range.
vs_port=$(free_port)
vs_root=$(new_root vsftpd)
# vsftpd enters the user's home before local_root: make that the root too.
usermod --home "$vs_root" "$user"
mkdir -p "$tmp/vsftpd-empty"
cat >"$tmp/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$vs_port
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
local_root=$vs_root
pam_service_name=vsftpd
secure_chroot_dir=$tmp/vsftpd-empty
seccomp_sandbox=NO
pasv_enable=YES
pasv_min_port=25000
pasv_max_port=26999
max_clients=20000
max_per_ip=20000
idle_session_timeout=900
dirmessage_enable=NO
xferlog_enable=NO
connect_from_port_20=NO
ssl_enable=YES
rsa_cert_file=$tmp/cert.pem
rsa_private_key_file=$tmp/key.pem
allow_anon_ssl=NO
force_local_data_ssl=NO
force_local_logins_ssl=NO
require_ssl_reuse=NO
ssl_ciphers=HIGH
EOF
setsid "$vsftpd_bin" "$tmp/vsftpd.conf" >"$tmp/vsftpd.log" 2>&1 &
pids+=($!)
targets+=(--target "name=vsftpd,addr=127.0.0.1:$vs_port,user=$user,password=$password,root=$vs_root,pid=$!,tls=on")
wait_for_port "$vs_port" vsftpd

# Pure-FTPd: a virtual user in a puredb of our own, TLS optional. pure-pw
# would hash the password with argon2id at t=1023 (seconds per login); the
# user gets wharfd's own argon2id hash instead (m=19456, t=2), which
# Pure-FTPd verifies through libsodium, so both pay the same per login.
# Its passive range is wider than the others' for two reasons of its own
# (src/ftpd.c): it caps its sessions at half the range's ports (2,000
# ports would refuse idle-sessions' 5,000), and a passive `listen` that
# fails ends the command with 425 instead of trying another port. Such
# listens fail with EADDRINUSE once earlier small-files runs have left
# tens of thousands of connections in TIME_WAIT: alone against it, 2 of 3
# runs failed with 2,000 ports and none of 8 with 12,000; in a compare
# run, where the other servers' connections wait too, some still do.
pure_port=$(free_port)
pure_root=$(new_root pure-ftpd)
hash=$(printf '%s\n' "$password" | "$wharfd" --hash-password)
echo "$user:$hash:$(id -u "$user"):$(id -g "$user")::$pure_root/./::::::::::::" >"$tmp/pure.passwd"
"$pure_pw" mkdb "$tmp/pure.pdb" -f "$tmp/pure.passwd"
setsid "$pure_bin" -S "127.0.0.1,$pure_port" -p 8000:19999 -l "puredb:$tmp/pure.pdb" \
    -E -H -c 20000 -C 20000 -L 20000:8 -I 15 -Y 1 -2 "$tmp/cert-and-key.pem" \
    >"$tmp/pure-ftpd.log" 2>&1 &
pids+=($!)
targets+=(--target "name=pure-ftpd,addr=127.0.0.1:$pure_port,user=$user,password=$password,root=$pure_root,pid=$!,tls=on")
wait_for_port "$pure_port" pure-ftpd

# pyftpdlib: our script, one process, TLS through pyOpenSSL.
py_port=$(free_port)
py_root=$(new_root pyftpdlib)
setsid "$tools/pyftpdlib/bin/python" benches/peers/pyftpdlib_server.py --port "$py_port" \
    --root "$py_root" --user "$user" --password "$password" \
    --passive-ports 29000-30999 --cert "$tmp/cert-and-key.pem" >"$tmp/pyftpdlib.log" 2>&1 &
pids+=($!)
targets+=(--target "name=pyftpdlib,addr=127.0.0.1:$py_port,user=$user,password=$password,root=$py_root,pid=$!,tls=on")
wait_for_port "$py_port" pyftpdlib

# The bare sender: wharfd's download calls (sendfile until EAGAIN) and
# nothing else, for the plain download rows.
bare_port=$(free_port)
bare_root=$(new_root bare-sender)
setsid "$tools/pyftpdlib/bin/python" benches/peers/bare_sender.py --port "$bare_port" \
    --root "$bare_root" --user "$user" --password "$password" \
    --passive-ports 37000-38999 >"$tmp/bare-sender.log" 2>&1 &
pids+=($!)
targets+=(--target "name=bare-sender,addr=127.0.0.1:$bare_port,user=$user,password=$password,root=$bare_root,pid=$!,only=retr-big+retr-big-curl")
wait_for_port "$bare_port" bare-sender

# A second wharfd as one more target: NAME, its passive ports, the
# scenarios it takes part in, then any extra flags.
extra_wharfd() {
    local name=$1 ports=$2 only=$3 port root
    shift 3
    port=$(free_port)
    root=$(new_root "$name")
    RUST_LOG=warn setsid "$wharfd" --listen "127.0.0.1:$port" --root "$root" \
        --user "$user:$password" --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" \
        --tls-reuse-required false --passive-ports "$ports" --max-sessions 1000 \
        --max-sessions-per-ip 1000 --max-unauthenticated-sessions 1000 \
        --max-unauthenticated-sessions-per-ip 1000 --max-passive-per-ip 0 "$@" \
        >"$tmp/$name.log" 2>&1 &
    pids+=($!)
    targets+=(--target "name=$name,addr=127.0.0.1:$port,user=$user,password=$password,root=$root,pid=$!,tls=on,only=$only")
    wait_for_port "$port" "$name"
}

# wharfd with --sync-uploads off, for the upload rows only.
extra_wharfd wharfd-nosync 33000-34999 stor-big+stor-big-tls --sync-uploads off
# wharfd again, with the built-in one's flags (its session caps aside),
# for the download and small-files rows: two identical servers in one run
# differ by how the machine treats them (which process, which file, which
# rhythm), and the ratio of wharfd to its twin shows how much in that run.
extra_wharfd wharfd-twin 35000-36999 retr-big+retr-big-curl+retr-big-tls+small-files

# Blob rows: Azurite in memory, and wharfd bridging FTP to its account.
blob_args=()
if [[ -n $blob ]]; then
    az_port=$(free_port)
    mkdir -p "$tmp/azurite"
    (cd "$tmp/azurite" && exec setsid "$tools/azurite/node_modules/.bin/azurite-blob" \
        --inMemoryPersistence --blobHost 127.0.0.1 --blobPort "$az_port" \
        --disableTelemetry --skipApiVersionCheck --silent) >"$tmp/azurite.log" 2>&1 &
    az_pid=$!
    pids+=("$az_pid")
    wait_for_port "$az_port" azurite
    az_endpoint="http://127.0.0.1:$az_port/$az_account"
    az_ftp_port=$(free_port)
    setsid "$wharfd" --listen "127.0.0.1:$az_ftp_port" --root "$tmp/wharfd-azure-root" \
        --azure-passthrough --azure-accounts "$az_account" --allow-account-keys-in-clear \
        --azure-endpoint "http://127.0.0.1:$az_port/{account}" --passive-ports 31000-32999 \
        >"$tmp/wharfd-azure.log" 2>&1 &
    az_wharfd_pid=$!
    pids+=("$az_wharfd_pid")
    wait_for_port "$az_ftp_port" wharfd-azure
    blob_args=(--blob "addr=127.0.0.1:$az_ftp_port,user=$az_account,password=$az_key,pid=$az_wharfd_pid,store-pid=$az_pid,container=bench,endpoint=$az_endpoint"
        --blob-sdk "$tools/azure-sdk/bin/python $repo/benches/peers/azure_sdk_bench.py")
fi

# --- Measure -----------------------------------------------------------------

echo "compare.sh: $(nproc) cores, $(uname -r), $(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2-), roots on $(stat -f -c %T "$tmp") ($root_base), TCP congestion control $(cat "$cc_file")" >&2
"$load" --server "$wharfd" --server-cert "$tmp/cert.pem" --server-key "$tmp/key.pem" "${targets[@]}" "${blob_args[@]}" "${load_args[@]}"
exit
}
