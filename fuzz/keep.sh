#!/usr/bin/env bash
# Adds to the kept corpus fuzz/corpus/<target>/ what a run found: libFuzzer's merge picks the
# inputs of fuzz/work/<target>/ that add coverage over the kept corpus, and of those the KEEP
# smallest (default 30) are kept, as found-<sha1>. Small and focused beats complete here: the kept
# corpus is a regression suite in the normal test run and must stay quick and reviewable.
#
#   fuzz/keep.sh [KEEP] [TARGET...]      (after fuzz/run.sh, which builds the targets)
set -euo pipefail
keep=${1:-30}
shift || true
cd "$(dirname "$0")/.."
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(clerk_csv legacy_json snapshot password_digest cookie request_body redirect_target)
bin=fuzz/target/x86_64-unknown-linux-gnu/release
for target in "${targets[@]}"; do
    merged=$(mktemp -d)
    cp fuzz/corpus/"$target"/* "$merged"/
    nice -n 10 "$bin/$target" -merge=1 -max_len=16384 "$merged" "fuzz/work/$target" >/dev/null 2>&1
    added=0
    # New files only (the merge names them by SHA-1), smallest first.
    while read -r _ file; do
        name=$(basename "$file")
        [ -e "fuzz/corpus/$target/$name" ] && continue
        [ -e "fuzz/corpus/$target/found-$name" ] && continue
        cp "$file" "fuzz/corpus/$target/found-$name"
        added=$((added + 1))
        [ "$added" -ge "$keep" ] && break
    done < <(find "$merged" -type f -size +0 -printf '%s %p\n' | sort -n)
    rm -rf "$merged"
    echo "$target: kept $added new inputs, $(ls "fuzz/corpus/$target" | wc -l) in all"
done
