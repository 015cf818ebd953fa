#!/usr/bin/env bash
# `make fuzz`: runs each cargo-fuzz target (fuzz/fuzz_targets) for SECONDS (first argument,
# default 600), one after the other, from its seeds (fuzz/seeds) and the corpus kept in
# fuzz/corpus (not committed); FUZZ_TARGETS picks some of them (default: all three). Stops at the first crash, whose input libFuzzer saves under
# fuzz/artifacts/<target>/. Only the stable toolchain is on the machine: RUSTC_BOOTSTRAP lets
# it take the unstable flags cargo fuzz passes (sanitizer coverage). See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-600}
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
for target in ${FUZZ_TARGETS:-decode request import}; do
    mkdir -p "corpus/$target"
    echo "fuzz: $target for ${seconds} s"
    RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -print_final_stats=1
done
