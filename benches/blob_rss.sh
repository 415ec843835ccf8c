#!/usr/bin/env bash
# Peak memory of wharfd while a 1 GiB upload of unknown length streams through
# it into Azure Blob Storage (Azurite, in memory), as the blob issue asks:
# the adapter holds at most 4 parts of 8 MiB per upload (crates/wharf-blob).
#
#   benches/blob_rss.sh [SIZE_MIB]     (default 1024)
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

scripts/emulators install >/dev/null
cargo build --release -q -p wharfd
tmp=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
az_port=$(free_port)
(cd "$tmp" && exec "$OLDPWD/.tools/azurite/node_modules/.bin/azurite-blob" --inMemoryPersistence \
    --blobHost 127.0.0.1 --blobPort "$az_port" --disableTelemetry --skipApiVersionCheck --silent) &
pids+=($!)
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$az_port") 2>/dev/null && break; sleep 0.1; done

target/release/wharfd --listen 127.0.0.1:0 --root "$tmp/root" --azure-passthrough \
    --allow-account-keys-in-clear --azure-endpoint "http://127.0.0.1:$az_port/{account}" >"$tmp/out" 2>"$tmp/err" &
wharfd=$!
pids+=("$wharfd")
for _ in $(seq 100); do grep -q "listening on ftp://" "$tmp/out" 2>/dev/null && break; sleep 0.1; done
ftp_port=$(grep -o 'ftp://127.0.0.1:[0-9]*' "$tmp/out" | head -1 | cut -d: -f3)
url="ftp://127.0.0.1:$ftp_port"

curl -sS -u "devstoreaccount1:$key" -Q "MKD /rss" "$url/" >/dev/null
rss() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$wharfd/status"; }
before=$(rss VmRSS)
started=$(date +%s.%N)
head -c "$((size_mib * 1024 * 1024))" /dev/zero | curl -sS -u "devstoreaccount1:$key" -T - "$url/rss/upload.bin"
elapsed=$(echo "$(date +%s.%N) - $started" | bc)
stored=$(curl -sS -u "devstoreaccount1:$key" "$url/rss/" | awk '{print $5}')
peak=$(rss VmHWM)
echo "wharfd: ${size_mib} MiB streamed into Azurite in ${elapsed} s; stored ${stored} bytes"
echo "wharfd RSS before the upload: $((before / 1024)) MiB; peak (VmHWM): $((peak / 1024)) MiB"
