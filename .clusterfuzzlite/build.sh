#!/bin/bash -eu
# ClusterFuzzLite build: every cargo-fuzz target, with its dictionary and a
# seed corpus made by the generators.
cd "$SRC/sqsdump"
cargo fuzz build -O
seeds="$WORK/seeds"
# Seeds are a bonus: a failure to make them must not fail the build.
(unset RUSTFLAGS; scripts/fuzz-seeds "$seeds") || echo "no seed corpora" >&2
for t in $(cargo fuzz list); do
    cp "fuzz/target/x86_64-unknown-linux-gnu/release/$t" "$OUT/"
    cp fuzz/sqsdump.dict "$OUT/$t.dict"
    if [ -d "$seeds/$t" ]; then
        (cd "$seeds/$t" && zip -q -r "$OUT/${t}_seed_corpus.zip" .)
    fi
done
