# Shared by scripts/fuzz-smoke and scripts/fuzz-nightly (sourced).
# Sets FUZZ (the cargo-fuzz command) and TARGETS (from `cargo fuzz list`).

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz missing: installing" >&2
    cargo install cargo-fuzz --locked
fi
if command -v rustup >/dev/null 2>&1 && rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    FUZZ=(cargo +nightly fuzz)
else
    # cargo-fuzz needs -Z flags; a stable toolchain accepts them this way.
    export RUSTC_BOOTSTRAP=1
    FUZZ=(cargo fuzz)
fi
# Run from the repository root: cargo-fuzz finds fuzz/ itself.
TARGETS=$("${FUZZ[@]}" list)
if [ -z "$TARGETS" ]; then
    echo "cargo fuzz list found no targets" >&2
    exit 1
fi

# Seed an empty corpus directory from the generators.
ensure_seeds() {
    local need=0 t
    for t in $TARGETS; do
        if [ -z "$(ls -A "fuzz/corpus/$t" 2>/dev/null)" ]; then need=1; fi
    done
    if [ "$need" = 1 ]; then
        scripts/fuzz-seeds fuzz/corpus
    fi
}

# Print the panic message of a crash artifact by reproducing it.
triage() {
    local t="$1" a="$2"
    echo "--- $t: $a"
    "${FUZZ[@]}" fmt "$t" "$a" 2>/dev/null | head -c 2000 || true
    echo
    "${FUZZ[@]}" run "$t" "$a" 2>&1 \
        | grep -E -A6 "panicked at|property violated|ERROR: (AddressSanitizer|libFuzzer)" \
        | head -30 || true
}
