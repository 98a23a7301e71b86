//! The `techex` binary. See `techex --help`.

/// mimalloc instead of the system allocator: searches allocate and free many small
/// buffers on several threads, where glibc's malloc was a seventh of the CPU time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    techex_api::cli::main()
}
