#!/bin/bash -eu
# ClusterFuzzLite build: every cargo-fuzz target, with its dictionary and a
# seed corpus made by the generators.
cd "$SRC/sqsdump"
cargo fuzz build -O
seeds="$WORK/seeds"
scripts/fuzz-seeds "$seeds"
for t in $(cargo fuzz list); do
    cp "fuzz/target/x86_64-unknown-linux-gnu/release/$t" "$OUT/"
    cp fuzz/sqsdump.dict "$OUT/$t.dict"
    (cd "$seeds/$t" && zip -q -r "$OUT/${t}_seed_corpus.zip" .)
done
