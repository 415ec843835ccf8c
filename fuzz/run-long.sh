#!/usr/bin/env bash
# The long fuzz run: every target (or the ones named) for a number of
# executions, starting from the committed seeds (fuzz/seeds/<target>/) and
# the local corpus (fuzz/corpus/<target>/, git-ignored), then the union
# minimised (`cargo fuzz cmin`) back into fuzz/seeds/<target>/ to commit.
#
#   fuzz/run-long.sh [target...]
#   FUZZ_RUNS=10000000   executions per target (10 M is the release bar)
#   FUZZ_MAX_SECONDS=0   also stop each target after this long (0: no bound),
#                        for a bounded run on a busy machine; the count
#                        printed says how far it got
#   FUZZ_NICE=19         niceness, so a long run yields to builds and tests
#   FUZZ_JOBS=1          parallel libFuzzer workers per target, sharing its
#                        corpus (new inputs are picked up by the others);
#                        each runs FUZZ_RUNS / FUZZ_JOBS executions, and the
#                        count printed is their sum
#
# Exits non-zero at the first crash; the input is in fuzz/artifacts/<target>/.
# Interrupting the run (kill -INT to its workers) ends it early: the count
# so far is kept and the corpus minimised as for a finished run.
# The executions each target reached are printed at the end, with the
# commit the targets were built from, and kept in fuzz/runs.log
# (git-ignored) to copy into fuzz/README.md. A run may be resumed: run it
# again at the same commit with the corpus it left (fuzz/README.md,
# "Sittings").
set -euo pipefail
cd "$(dirname "$0")/.."
source fuzz/args.sh

runs=${FUZZ_RUNS:-10000000}
max_seconds=${FUZZ_MAX_SECONDS:-0}
niceness=${FUZZ_NICE:-19}
jobs=${FUZZ_JOBS:-1}
if ! [[ $jobs =~ ^[1-9][0-9]*$ ]]; then
    echo "FUZZ_JOBS must be a whole number from 1: $jobs" >&2
    exit 2
fi

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

# The commit the targets are built from, for the sittings of one run
# (fuzz/README.md): changes to the sources outside fuzz/seeds mark it dirty.
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git diff --quiet HEAD -- . ':!fuzz/seeds' 2>/dev/null; then
    commit="$commit+dirty"
fi
cargo fuzz build -s none
summary=()
for target in "${targets[@]}"; do
    corpus=fuzz/corpus/$target
    seeds=fuzz/seeds/$target
    mkdir -p "$corpus" "$seeds"
    logs=$(mktemp -d)
    echo "==> $target: $runs runs from $(find "$seeds" -type f | wc -l) seeds, $jobs worker(s)"
    parallel=()
    if [ "$jobs" -gt 1 ]; then
        # Each worker writes its own log, fuzz-N.log, in the current folder.
        rm -f fuzz-[0-9]*.log
        parallel=(-jobs="$jobs" -workers="$jobs")
    fi
    status=0
    # shellcheck disable=SC2046 # the options are words
    nice -n "$niceness" cargo fuzz run -s none "$target" "$corpus" "$seeds" -- \
        -runs="$((runs / jobs))" -max_total_time="$max_seconds" -print_final_stats=1 \
        "${parallel[@]}" $(fuzz_args "$target") >"$logs/main.log" 2>&1 || status=$?
    mv fuzz-[0-9]*.log "$logs"/ 2>/dev/null || true
    # A run stopped with SIGINT (libFuzzer: "run interrupted") keeps what
    # it reached: counted and minimised like a finished one.
    if [ "$status" -ne 0 ] && grep -q 'run interrupted' "$logs"/*.log; then
        echo "$target: interrupted; counting and minimising what it reached"
        status=0
    fi
    if [ "$status" -ne 0 ] || grep -qE 'ERROR: libFuzzer|deadly signal|panicked at' "$logs"/*.log; then
        tail -n 60 "$logs"/*.log
        echo "fuzz target $target failed (input saved under fuzz/artifacts/$target/)"
        exit 1
    fi
    # The main log repeats the workers' logs when there are workers: count
    # theirs, or the main log's where they are missing.
    counted=("$logs"/main.log)
    workers=("$logs"/fuzz-[0-9]*.log)
    if [ "$jobs" -gt 1 ] && [ -e "${workers[0]}" ]; then
        counted=("${workers[@]}")
    fi
    executed=$(cat "${counted[@]}" | grep -E '^stat::number_of_executed_units' | awk '{s += $2} END {print s + 0}')
    rm -rf "$logs"
    # Seeds and corpus together, minimised into the seeds: the fewest,
    # smallest inputs that reach every edge the two reach
    # (`-use_counters=0`: edges, not hit counts), a few KiB per target. The
    # local corpus stays whole for the next long run.
    cp -n "$corpus"/* "$seeds"/ 2>/dev/null || true
    # shellcheck disable=SC2046 # the options are words
    nice -n "$niceness" cargo fuzz cmin -s none "$target" "$seeds" -- -use_counters=0 \
        $(fuzz_args "$target") >/dev/null 2>&1
    line="$(date -u +%F) $target at $commit: $executed executions, $(find "$seeds" -type f | wc -l) seeds ($(cat "$seeds"/* 2>/dev/null | wc -c) bytes), no crash"
    echo "$line" | tee -a fuzz/runs.log
    summary+=("$line")
done
printf '%s\n' "${summary[@]}"
