#!/usr/bin/env bash
# RETR and STOR through HAProxy against direct to one node, in one run
# (issue 19's bench row; the figure is in docs/fleet.md).
#
# Starts two release wharfd on loopback, configured alike but for the
# balancer: "direct" on 127.0.0.11 (PASV names its own address) and
# "haproxy" on 127.0.0.12 behind HAProxy, exactly as the fleet tests set a
# node up (`--proxy-protocol-from 127.0.0.1/32`, the VIP as public address,
# `send-proxy-v2` on control and on a `listen` block forwarding the node's
# passive range). wharf-load then runs each scenario against both in turn,
# repetition after repetition; its last column is direct / haproxy (the
# inverse of the ratio docs/fleet.md quotes). The CPU column is the node's own (HAProxy's is not in it); on a
# 2-core machine HAProxy shares the cores with the node and the client.
#
#   benches/fleet.sh                                 # retr-big,stor-big, 256 MiB, 3 runs (9 at 1 client)
#   benches/fleet.sh --size-mib 512 --repeat 5
#   benches/fleet.sh --scenarios retr-big-tls,stor-big-tls
#
# Needs haproxy (Debian's package) and python3. With WHARFD=path and
# WHARF_LOAD=path both set, those binaries are used as they are and nothing
# is built. Everything started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v haproxy >/dev/null || {
    echo "fleet.sh: haproxy is missing (apt-get install haproxy)" >&2
    exit 1
}
if [[ -z ${WHARFD:-} || -z ${WHARF_LOAD:-} ]]; then
    cargo build --release -q -p wharfd -p wharf-benches
fi
target_dir=${CARGO_TARGET_DIR:-target}
wharfd=${WHARFD:-$target_dir/release/wharfd}
load=${WHARF_LOAD:-$target_dir/release/wharf-load}

tmp=$(mktemp -d /tmp/wharf-fleet-bench.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_for_port() { # IP PORT NAME
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "fleet.sh: $3 is not listening on $1:$2; its log:" >&2
    cat "$tmp/$3.log" >&2
    return 1
}

user=bench
password=bench-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
# Below Linux's ephemeral ports, apart from compare.sh's and the tests'.
direct_range=22000-22099
balanced_low=22100
balanced_high=22199

# A node as wharf-load's built-in one is, limits opened for the bench.
node() { # NAME IP PORT EXTRA...
    local name=$1 ip=$2 port=$3
    shift 3
    mkdir -p "$tmp/$name-root"
    "$wharfd" --listen "$ip:$port" --root "$tmp/$name-root" --user "$user:$password" \
        --tls-self-signed --tls-reuse-required false \
        --max-sessions 1000 --max-sessions-per-ip 1000 \
        --max-unauthenticated-sessions 1000 --max-unauthenticated-sessions-per-ip 1000 \
        --max-passive-per-ip 0 "$@" >"$tmp/$name.log" 2>&1 &
    pids+=($!)
    wait_for_port "$ip" "$port" "$name"
}

direct_port=$(free_port)
node direct 127.0.0.11 "$direct_port" --passive-ports "$direct_range"
direct_pid=${pids[-1]}

node_port=$(free_port)
admin_port=$(free_port)
node balanced 127.0.0.12 "$node_port" --passive-ports "$balanced_low-$balanced_high" \
    --public-address 127.0.0.1 --proxy-protocol-from 127.0.0.1/32 \
    --admin-listen "127.0.0.12:$admin_port"
balanced_pid=${pids[-1]}

# The fleet tests' configuration (crates/wharfd/tests/e2e/e2e_fleet.rs),
# one node.
vip=$(free_port)
cat >"$tmp/haproxy.cfg" <<EOF
global
    maxconn 200
defaults
    mode tcp
    timeout connect 2s
    timeout client 60s
    timeout server 60s
frontend ftp
    bind 127.0.0.1:$vip
    default_backend ftp_nodes
backend ftp_nodes
    balance roundrobin
    option httpchk GET /readyz
    server n0 127.0.0.12:$node_port send-proxy-v2 check port $admin_port inter 300ms fall 1 rise 1
listen data0
    bind 127.0.0.1:$balanced_low-$balanced_high
    server n0 127.0.0.12 send-proxy-v2
EOF
haproxy -db -f "$tmp/haproxy.cfg" >"$tmp/haproxy.log" 2>&1 &
pids+=($!)
wait_for_port 127.0.0.1 "$vip" haproxy
# Until the health check has passed once, HAProxy refuses sessions.
sleep 1

echo "fleet.sh: $(nproc) cores, $(uname -r), $(haproxy -v | head -1)" >&2
args=("$@")
if [[ ! " ${args[*]} " =~ " --scenarios " ]]; then
    args+=(--scenarios retr-big,stor-big)
fi
"$load" --no-wharfd \
    --target "name=direct,addr=127.0.0.11:$direct_port,user=$user,password=$password,root=$tmp/direct-root,pid=$direct_pid,tls=on" \
    --target "name=haproxy,addr=127.0.0.1:$vip,user=$user,password=$password,root=$tmp/balanced-root,pid=$balanced_pid,tls=on" \
    "${args[@]}"
