//! The `sqsdump` binary: see [`sqsdump::cli`].
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    sqsdump::cli::main()
}
