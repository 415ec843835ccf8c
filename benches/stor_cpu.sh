#!/usr/bin/env bash
# One release wharfd on a tmpfs root (/dev/shm), one wharf-load run against
# it (--no-wharfd --target), and the server's CPU ticks from /proc/PID/stat
# before and after; optionally under `perf record -g`, `perf stat` (task
# clock, context switches, migrations) or `strace -c -f`.
# Used for docs/performance/profile-stor.md, profile-small-files.md and
# splice-uploads.md.
#
#   benches/stor_cpu.sh LABEL "WHARFD FLAGS" "WHARF-LOAD ARGS" [perf|stat|strace]
#   benches/stor_cpu.sh copy "--splice-uploads off" "--scenarios stor-big --size-mib 256 --repeat 1"
#
# Output goes to $OUT/LABEL (default /tmp/stor-cpu/LABEL), and each run's
# report is appended to $OUT/LABEL/runs.txt; T names the directory of the
# release binaries (default target/release); ROOT_BASE the directory the
# server's root is made in (default /dev/shm, tmpfs; e.g. /var/tmp for a
# disk).
set -euo pipefail
label=$1; flags=$2; loadargs=$3; mode=${4:-}
T=${T:-${CARGO_TARGET_DIR:-target}/release}
root=$(mktemp -d "${ROOT_BASE:-/dev/shm}/upcpu-root.XXXX")
out=${OUT:-/tmp/stor-cpu}/$label
mkdir -p "$out"
"$T/wharfd" --listen 127.0.0.1:0 --passive-ports 23000-24999 --root "$root" --user bench:benchpw \
  --max-sessions 2000 --max-sessions-per-ip 2000 --max-unauthenticated-sessions 2000 \
  --max-unauthenticated-sessions-per-ip 2000 --max-passive-per-ip 0 $flags >"$out/wharfd.out" 2>&1 &
pid=$!
for i in $(seq 100); do grep -q "listening on ftp://" "$out/wharfd.out" && break; sleep 0.1; done
addr=$(sed -n 's#.*listening on ftp://##p' "$out/wharfd.out" | head -1)
case $mode in
  perf) perf record -F 1999 -g -p $pid -o "$out/perf.data" 2>"$out/perf.log" & rec=$! ;;
  stat) perf stat -e task-clock,context-switches,cpu-migrations,cache-misses,page-faults -p $pid -o "$out/stat.txt" & rec=$! ;;
  strace) strace -c -f -p $pid -o "$out/strace.txt" 2>"$out/strace.log" & rec=$!; sleep 1 ;;
  *) rec= ;;
esac
read -r _ _ _ _ _ _ _ _ _ _ _ _ _ u0 s0 _ < /proc/$pid/stat
"$T/wharf-load" --no-wharfd --target "name=wharfd,addr=$addr,user=bench,password=benchpw,root=$root,pid=$pid" $loadargs >"$out/load.txt" 2>"$out/load.err" || echo "load failed" >&2
read -r _ _ _ _ _ _ _ _ _ _ _ _ _ u1 s1 _ < /proc/$pid/stat
if [[ -n $rec ]]; then kill -INT $rec; wait $rec || true; fi
kill $pid; wait $pid 2>/dev/null || true
rm -rf "$root"
echo "$label: server cpu ticks user=$((u1-u0)) sys=$((s1-s0))" | tee "$out/cpu.txt"
cat "$out/load.txt"
{ cat "$out/cpu.txt"; grep -E '^\| stor-big' "$out/load.txt" || true; } >>"$out/runs.txt"
