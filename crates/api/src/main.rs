//! The `techex` binary. See `techex --help`.

fn main() -> std::process::ExitCode {
    techex_api::cli::main()
}
