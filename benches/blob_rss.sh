#!/usr/bin/env bash
# Peak memory and CPU of wharfd while uploads of unknown length stream
# through it into an object store emulator (Azurite or moto, both in
# memory), as the blob issue asks. Two cases, each on a fresh wharfd:
#
#   one      one upload of SIZE_MIB (default 1024) from `curl -T -`
#   many     CONCURRENT (16) uploads of CONCURRENT_MIB (64) at once
#
# For each it prints the peak RSS (VmHWM of /proc/PID/status), the server's
# CPU seconds (utime + stime of /proc/PID/stat) per GiB received, and for
# `many` the upload memory budget (--blob-upload-memory, BUDGET_MIB,
# default wharfd's 512 MiB) the peak must stay within. It checks every
# stored object's size. CPU and RSS do not depend on how loaded the machine
# is; the wall time printed beside them does.
#
#   benches/blob_rss.sh [azure|s3|both] [SIZE_MIB]       (default: azure 1024)
#   CONCURRENT=16 CONCURRENT_MIB=64 BUDGET_MIB=512 CASES="one many" benches/blob_rss.sh both
#   WHARFD=path/to/wharfd benches/blob_rss.sh            (skip the build)
set -euo pipefail
cd "$(dirname "$0")/.."
stores=${1:-azure}
size_mib=${2:-1024}
concurrent=${CONCURRENT:-16}
concurrent_mib=${CONCURRENT_MIB:-64}
cases=${CASES:-one many}
budget_mib=${BUDGET_MIB:-}
[ "$stores" = both ] && stores="azure s3"
az_key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

scripts/emulators install >/dev/null
if [ -z "${WHARFD:-}" ]; then
    cargo build --release -q -p wharfd
    WHARFD=${CARGO_TARGET_DIR:-target}/release/wharfd
fi
tmp=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done; }
tck=$(getconf CLK_TCK)

# The emulators, started once: $az_port and $s3_port.
for store in $stores; do
    case $store in
    azure)
        az_port=$(free_port)
        mkdir -p "$tmp/azurite"
        (cd "$tmp/azurite" && exec "$OLDPWD/.tools/azurite/node_modules/.bin/azurite-blob" --inMemoryPersistence \
            --blobHost 127.0.0.1 --blobPort "$az_port" --disableTelemetry --skipApiVersionCheck --silent >/dev/null) &
        pids+=($!)
        wait_port "$az_port"
        ;;
    s3)
        s3_port=$(free_port)
        .tools/moto/bin/moto_server -H 127.0.0.1 -p "$s3_port" >"$tmp/moto.log" 2>&1 &
        pids+=($!)
        wait_port "$s3_port"
        ;;
    *) echo "blob_rss.sh: a store is azure, s3 or both, not $store" >&2; exit 2 ;;
    esac
done

# Starts wharfd in front of $1's emulator: sets $wharfd, $url, $user.
start_wharfd() {
    local store=$1 out="$tmp/out.$RANDOM"
    local args=(--listen 127.0.0.1:0 --root "$tmp/root")
    [ -n "$budget_mib" ] && args+=(--blob-upload-memory "${budget_mib}MiB")
    case $store in
    azure)
        args+=(--azure-passthrough --allow-account-keys-in-clear
            --azure-endpoint "http://127.0.0.1:$az_port/{account}")
        user="devstoreaccount1:$az_key"
        ;;
    s3)
        printf 'testing:testing' >"$tmp/s3.key"
        args+=(--storage s3:// --storage-key-file "$tmp/s3.key" --s3-region us-east-1
            --s3-endpoint "http://127.0.0.1:$s3_port" --user bench:bench)
        user="bench:bench"
        ;;
    esac
    "$WHARFD" "${args[@]}" >"$out" 2>"$tmp/err" &
    wharfd=$!
    pids+=("$wharfd")
    for _ in $(seq 100); do grep -q "listening on ftp://" "$out" 2>/dev/null && break; sleep 0.1; done
    url="ftp://127.0.0.1:$(grep -o 'ftp://127.0.0.1:[0-9]*' "$out" | head -1 | cut -d: -f3)"
}

status() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$wharfd/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$wharfd/stat"; }
# STOR of $1 MiB of zeros to $2, its length unknown to the server (as
# `curl -T -` sends it). Python's ftplib waits for the 226 as long as it
# takes: curl gives up after 120 s, which 16 uploads into an emulator on
# a loaded machine can take.
put() {
    python3 - "$url" "$user" "$2" "$1" <<'PY'
import ftplib, sys, time
url, user, path, mib = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
host, port = url.removeprefix("ftp://").rsplit(":", 1)
name, password = user.split(":", 1)
class Zeros:
    left = mib << 20
    def read(self, n):
        n = min(n, self.left)
        self.left -= n
        return bytes(n)
for attempt in range(100):
    try:
        ftp = ftplib.FTP()
        ftp.connect(host, int(port))
        ftp.login(name, password)
        break
    except ftplib.error_temp:  # 421: too many connections waiting to log in
        time.sleep(0.1)
ftp.storbinary("STOR /" + path, Zeros(), blocksize=256 * 1024)
ftp.quit()
PY
}

# Runs case $2 against store $1 and prints its line.
run_case() {
    local store=$1 name=$2 dir="rss$RANDOM" count mib
    case $name in
    one) count=1 mib=$size_mib ;;
    many) count=$concurrent mib=$concurrent_mib ;;
    *) echo "blob_rss.sh: a case is one or many, not $name" >&2; exit 2 ;;
    esac
    start_wharfd "$store"
    curl -sS -u "$user" -Q "MKD /$dir" "$url/" >/dev/null
    local before cpu0 started
    before=$(status VmRSS)
    cpu0=$(cpu_ticks)
    started=$(date +%s.%N)
    local clients=()
    for i in $(seq "$count"); do
        put "$mib" "$dir/up$i.bin" &
        clients+=($!)
    done
    for c in "${clients[@]}"; do wait "$c" || true; done
    local elapsed cpu peak budget stored want
    elapsed=$(echo "$(date +%s.%N) - $started" | bc)
    cpu=$(echo "scale=3; ($(cpu_ticks) - $cpu0) / $tck / ($count * $mib / 1024)" | bc)
    peak=$(status VmHWM)
    want=$((mib * 1024 * 1024))
    stored=$(curl -sS -u "$user" "$url/$dir/" | awk -v w="$want" '$5 == w {n++} END {print n + 0}')
    printf '%-5s %-4s %2d x %5d MiB: peak RSS %4d MiB (idle %d MiB), CPU %s s/GiB, %s s wall, %d/%d stored whole' \
        "$store" "$name" "$count" "$mib" "$((peak / 1024))" "$((before / 1024))" "$cpu" "$elapsed" "$stored" "$count"
    if [ "$name" = many ]; then
        budget=${budget_mib:-512}
        printf ', budget %d MiB: %s' "$budget" "$([ $((peak / 1024)) -le "$budget" ] && echo within || echo OVER)"
    fi
    echo
    for i in $(seq "$count"); do curl -sS -u "$user" -Q "DELE /$dir/up$i.bin" "$url/" >/dev/null || true; done
    kill "$wharfd"
    wait "$wharfd" 2>/dev/null || true
    [ "$stored" -eq "$count" ] || { cp "$tmp/err" /tmp/blob_rss-wharfd.log; echo "blob_rss.sh: an upload was not stored whole; wharfd's log: /tmp/blob_rss-wharfd.log" >&2; grep -E "WARN|ERROR" "$tmp/err" | tail -5 >&2; exit 1; }
}

for store in $stores; do
    for name in $cases; do run_case "$store" "$name"; done
done
