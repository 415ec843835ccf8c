#!/usr/bin/env bash
# A/B pairs: runs COMMAND A and COMMAND B in turn, A B A B ..., each under
# GNU time (/usr/bin/time -f '%U %S %e %M'), and prints, for user, sys and
# cpu (user + sys) seconds, wall seconds and peak RSS, the median of A, the
# median of B and the median (min–max) of the per-pair ratios A/B. The
# figures are the kernel's accounting of the whole process tree (peak RSS
# is its largest process's). Each command is one string run with `bash -c`,
# so env assignments and quotes work; the environment passes through.
#
#   benches/ab_pairs.sh [-n PAIRS] [--warmup N] [--timeout SECS] [--log FILE] -- 'COMMAND A' 'COMMAND B'
#   benches/ab_pairs.sh -n 5 -- 'sleep 0.2' 'sleep 0.1'
#
# PAIRS defaults to 5; N warm-up pairs (default 0) run first and are not
# counted. A run longer than SECS is killed (`timeout`). The commands'
# output is appended to FILE (default /dev/null). A run that exits non-zero
# is counted as measured, with a warning and a count in the summary.
set -euo pipefail
usage() { sed -n '10,11p' "$0" >&2; exit 2; }
pairs=5; warmup=0; limit=0; log=/dev/null
# The value after option $1 ($2, if any), which must be a whole number.
count() {
    if (($# < 2)) || [[ ! $2 =~ ^[0-9]+$ ]]; then
        echo "ab_pairs.sh: $1 needs a whole number" >&2
        usage
    fi
    echo "$((10#$2))"
}
while (($#)); do
    case $1 in
        -n) pairs=$(count "$@"); shift 2 ;;
        --warmup) warmup=$(count "$@"); shift 2 ;;
        --timeout) limit=$(count "$@"); shift 2 ;;
        --log) (($# >= 2)) || usage; log=$2; shift 2 ;;
        --) shift; break ;;
        *) usage ;;
    esac
done
(($# == 2)) || usage
if ((pairs < 1)); then
    echo "ab_pairs.sh: -n needs at least one pair" >&2
    exit 2
fi
if [[ ! -x /usr/bin/time ]]; then
    echo "ab_pairs.sh: needs GNU time at /usr/bin/time (Debian/Ubuntu: apt-get install time)" >&2
    exit 1
fi
tf=$(mktemp); results=$(mktemp)
trap 'rm -f "$tf" "$results"' EXIT
wrap=()
if ((limit > 0)); then wrap=(timeout "$limit"); fi
# One run of command $1; prints "USER SYS WALL MAXRSS_KIB EXIT_STATUS".
run() {
    local rc=0
    /usr/bin/time -f '%U %S %e %M' -o "$tf" ${wrap[@]+"${wrap[@]}"} bash -c "$1" >>"$log" 2>&1 || rc=$?
    if ((rc != 0)); then echo "ab_pairs.sh: exit status $rc: $1" >&2; fi
    echo "$(tail -n 1 "$tf") $rc"
}
for ((i = 1; i <= warmup + pairs; i++)); do
    a=$(run "$1"); b=$(run "$2")
    if ((i <= warmup)); then echo "warm-up $i/$warmup done" >&2; continue; fi
    echo "$a $b" >>"$results"
    read -r _ _ wa _ _ _ _ wb _ _ <<<"$a $b"
    echo "pair $((i - warmup))/$pairs: wall A $wa s, B $wb s" >&2
done
python3 - "$results" "$1" "$2" <<'EOF'
import statistics, sys
rows = [[float(x) for x in line.split()] for line in open(sys.argv[1])]
print(f"A: {sys.argv[2]}\nB: {sys.argv[3]}")
failed = [sum(r[4] != 0 for r in rows), sum(r[9] != 0 for r in rows)]
if any(failed):
    print(f"runs that exited non-zero: A {failed[0]}, B {failed[1]}")
print(f"\n| median of {len(rows)} pairs | A | B | A/B (min–max) |\n|---|---|---|---|")
figures = [("user s", lambda u, s, e, m: u), ("sys s", lambda u, s, e, m: s),
           ("cpu s", lambda u, s, e, m: u + s), ("wall s", lambda u, s, e, m: e),
           ("peak RSS MiB", lambda u, s, e, m: m / 1024)]
for name, f in figures:
    a = [f(*r[0:4]) for r in rows]
    b = [f(*r[5:9]) for r in rows]
    ratios = [x / y for x, y in zip(a, b) if y > 0]
    ratio = "–"
    if ratios:
        ratio = f"{statistics.median(ratios):.3f} ({min(ratios):.3f}–{max(ratios):.3f})"
        if len(ratios) < len(rows):
            ratio += f", {len(rows) - len(ratios)} pairs with B = 0 left out"
    print(f"| {name} | {statistics.median(a):.2f} | {statistics.median(b):.2f} | {ratio} |")
EOF
