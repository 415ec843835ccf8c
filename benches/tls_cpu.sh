#!/usr/bin/env bash
# One wharfd (self-signed TLS, a tmpfs root) and one wharf-load run of an
# FTPS scenario against it; appends the server's CPU seconds (from
# /proc/PID/stat, user + system) to FILE, with wharf-load's server CPU per
# GiB (per 1,000 operations for small-files) for each case of the scenario.
# Optionally under `perf record -g` or `strace -c -f` (their output goes
# next to FILE). Used for docs/performance/ftps.md, one run per call, so
# that benches/ab_pairs.sh can pair two wharfd builds A B A B.
#
#   benches/tls_cpu.sh WHARFD SCENARIO SIZE_MIB FILE [perf|strace]
#   benches/tls_cpu.sh target/release/wharfd retr-big-tls 256 /tmp/a.txt
#
# LOAD names the wharf-load binary (default: next to WHARFD).
set -euo pipefail
wharfd=$1; scenario=$2; size=$3; file=$4; mode=${5:-}
load=${LOAD:-$(dirname "$wharfd")/wharf-load}
root=$(mktemp -d /dev/shm/tls-cpu-root.XXXX)
log=$(mktemp /tmp/tls-cpu-wharfd.XXXX)
"$wharfd" --listen 127.0.0.1:0 --passive-ports 20000-21999 --root "$root" --user bench:benchpw \
    --tls-self-signed --tls-reuse-required false --max-passive-per-ip 0 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$root" "$log"' EXIT
for _ in $(seq 100); do grep -q "listening on ftp://" "$log" && break; sleep 0.1; done
addr=$(sed -n 's#.*listening on ftp://##p' "$log" | head -1)
case $mode in
    perf) perf record -F 999 -g -p "$pid" -o "$file.perf.data" 2>"$file.perf.log" & rec=$! ;;
    strace) strace -c -f -p "$pid" -o "$file.strace.txt" 2>"$file.strace.log" & rec=$!; sleep 1 ;;
    *) rec= ;;
esac
read -r _ _ _ _ _ _ _ _ _ _ _ _ _ u0 s0 _ </proc/$pid/stat
"$load" --no-wharfd --repeat 1 --scenarios "$scenario" --size-mib "$size" \
    --target "name=wharfd,addr=$addr,user=bench,password=benchpw,root=$root,pid=$pid,tls=on" \
    >"$file.load.txt" 2>&1 || { echo "tls_cpu.sh: wharf-load failed, see $file.load.txt" >&2; exit 1; }
read -r _ _ _ _ _ _ _ _ _ _ _ _ _ u1 s1 _ </proc/$pid/stat
if [[ -n $rec ]]; then kill -INT "$rec"; wait "$rec" || true; fi
# wharf-load's own figure per case (server CPU over the case's run), then
# the whole run's from here.
cases=$(awk -F'|' '/^\| .* \| wharfd \|/ { gsub(/^ +| +$/, "", $2); gsub(/^ +| +$/, "", $7); printf "%s: %s; ", $2, $7 }' "$file.load.txt")
hz=$(getconf CLK_TCK)
awk -v c="$cases" -v sc="$scenario" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v hz="$hz" \
    'BEGIN { printf "%s%s run: user %.2f s, system %.2f s\n", c, sc, u / hz, s / hz }' >>"$file"
