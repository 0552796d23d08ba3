#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    distill_lab::cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}
