#!/usr/bin/env bash
# Runs every fuzz target for SECONDS_PER_TARGET (default 600), one after another, and prints a
# summary: executions, inputs added to the working corpus, crashes.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`); works on stable Rust through RUSTC_BOOTSTRAP=1,
# since cargo-fuzz passes -Z flags. Built without a sanitizer (`-s none`): the code under test has
# no `unsafe`, and ASan would halve the executions. Each target works on fuzz/work/<target>,
# started from the kept corpus fuzz/corpus/<target>; the kept corpus only changes by hand (see
# fuzz/README.md). libFuzzer runs in fork mode so one crash does not end the run: every crashing
# input lands in fuzz/artifacts/<target>/.
set -euo pipefail

seconds=${1:-600}
shift || true
cd "$(dirname "$0")/.."
export RUSTC_BOOTSTRAP=1

all_targets=(clerk_csv legacy_json snapshot password_digest cookie request_body redirect_target)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")

mkdir -p fuzz/work
if ! nice -n 10 cargo fuzz build -s none >fuzz/work/build.log 2>&1; then
    tail -n 30 fuzz/work/build.log
    exit 1
fi
summary=()
for target in "${targets[@]}"; do
    work="fuzz/work/$target"
    mkdir -p "$work" "fuzz/artifacts/$target"
    cp -n fuzz/corpus/"$target"/* "$work"/ 2>/dev/null || true
    before=$(find "$work" -type f | wc -l)
    crashes_before=$(find "fuzz/artifacts/$target" -type f | wc -l)
    log="fuzz/work/$target.log"
    nice -n 10 cargo fuzz run -s none "$target" "$work" -- \
        -max_total_time="$seconds" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -timeout=10 -rss_limit_mb=2048 -max_len=16384 >"$log" 2>&1 || true
    after=$(find "$work" -type f | wc -l)
    crashes=$(( $(find "fuzz/artifacts/$target" -type f | wc -l) - crashes_before ))
    # Fork mode's status lines: "#<execs>: cov: … corp: … exec/s: … oom/timeout/crash: a/b/c time: …"
    last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -n 1 || true)
    execs=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$last")
    cov=$(sed -E 's/.* cov: ([0-9]+).*/\1/' <<<"$last")
    faults=$(sed -E 's/.*oom\/timeout\/crash: ([0-9\/]+).*/\1/' <<<"$last")
    summary+=("$(printf '%-16s %6ss  execs %-10s cov %-6s corpus %5s -> %-5s new %-5s oom/timeout/crash %-8s artifacts %s' \
        "$target" "$seconds" "${execs:-?}" "${cov:-?}" "$before" "$after" "$((after - before))" "${faults:-?}" "$crashes")")
    echo "${summary[-1]}"
done
echo
echo "summary ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores):"
printf '%s\n' "${summary[@]}"
