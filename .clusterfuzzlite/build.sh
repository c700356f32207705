#!/bin/bash -eu
# ClusterFuzzLite build (run by the base image's `compile` as
# `bash -eux $SRC/build.sh`): every cargo-fuzz target into $OUT, each with
# the dictionary and a seed corpus made by the generators.
#
# Flags come from the environment ClusterFuzzLite sets: RUSTFLAGS already
# holds `--cfg fuzzing`, -Zsanitizer=$SANITIZER (address) and debug info;
# cargo-fuzz adds the coverage instrumentation. For SANITIZER=coverage the
# base-builder-rust image's `cargo` wrapper turns `cargo fuzz build` into
# an instrumented `cargo build` and copies it to the same place.
# scripts/cfl-build-check runs this file outside Docker with those
# variables set.
cd "$SRC/sqsdump"

# ClusterFuzzLite supports only AddressSanitizer for Rust; a coverage
# build needs no sanitizer runtime.
case "${SANITIZER:-address}" in
    address) sanitizer=address ;;
    *) sanitizer=none ;;
esac
# The only C in the build is zstd-sys (the archive targets' zstd). It is
# compiled without the engine's CFLAGS: they are clang's
# (-fsanitize=fuzzer-no-link, -gline-tables-only), which the host C
# compiler of scripts/cfl-build-check does not know, and the code fuzzed
# is sqsdump's Rust, instrumented through RUSTFLAGS.
CFLAGS="" CXXFLAGS="" cargo fuzz build -O --debug-assertions --sanitizer "$sanitizer"
release=fuzz/target/x86_64-unknown-linux-gnu/release

# Seeds are a bonus: a failure to make them must not fail the build. They
# come from an ordinary host build (no sanitizer, no fuzzing cfg).
seeds="$WORK/seeds"
(unset RUSTFLAGS CFLAGS CXXFLAGS CUSTOM_LIBFUZZER_PATH CUSTOM_LIBFUZZER_STD_CXX; scripts/fuzz-seeds "$seeds") \
    || echo "no seed corpora" >&2

targets=$(cargo fuzz list)
[ -n "$targets" ] || { echo "cargo fuzz list found no targets" >&2; exit 1; }
for t in $targets; do
    cp "$release/$t" "$OUT/"
    cp fuzz/sqsdump.dict "$OUT/$t.dict"
    if [ -d "$seeds/$t" ] && [ -n "$(ls -A "$seeds/$t")" ]; then
        rm -f "$OUT/${t}_seed_corpus.zip"
        (cd "$seeds/$t" && zip -q -r "$OUT/${t}_seed_corpus.zip" .)
    fi
done
