//! The `sqsdump` binary: see [`sqsdump::cli`].
#![forbid(unsafe_code)]

/// mimalloc instead of the system allocator: a decode allocates and frees
/// small buffers per record, and the profile of a 1M-message decode
/// showed glibc malloc/free as its largest cost.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    sqsdump::cli::main()
}
