//! `cargo xtask serve | test | bench | fuzz | setup | csp`: the two commands a newcomer needs, and what CI
//! runs. Installs what is missing (and only that), then runs the rest, printing each runner's
//! summary. Standard library only, so it builds in seconds on a fresh machine.

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod csp;
mod disk;
mod setup;
mod steps;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

  serve [--dataset NAME] [--source PATH_OR_URL] [--release]
        install what is missing, prepare the dataset if absent (default: emnist-letters from
        the official URL), then `trunk serve` on http://127.0.0.1:8080
  test  [--no-e2e] [--lean]
        install what is missing, then rustfmt, clippy (native and wasm32), cargo test, the
        wasm-bindgen tests in headless Chromium and the end-to-end tests; prints target/'s size
        and the free disk after each step (--lean, what CI runs and the default when the disk
        is short: no incremental state, each step's build outputs removed once no later step
        needs them, so the next run rebuilds them)
  bench [--debug] [--no-keras] [--only ours,tfjs-webgpu,...]
        install what is missing (also TensorFlow CPU in .tools/venv and TensorFlow.js from npm),
        then `distill bench` against Keras and the browser bench against TensorFlow.js in one
        headless Chromium; figures (never pass/fail), the last line one JSON object of ratios;
        reports in target/bench/ (--debug: a debug build of the app, quicker to build)
  fuzz  [--secs N] [--libfuzzer [--runs N] [--only idx,zip,...] [--note TEXT]]
        every parser on mutated real files for N seconds each (default 60), in release:
        executions per second and totals, no panic, no parse allocating over 256 MB
        (tests/parser_properties.rs; a short pass of the same runs in `test`); --libfuzzer:
        the coverage-guided targets in fuzz/ instead (idx, zip, mat, shard, manifest, settings,
        checkpoint, dlw), a table of runs, runs/s and peak memory, over 256 MB a failure
        (--runs: N inputs each instead of N seconds; --only: some targets); the campaign is
        appended to docs/results/fuzz.json (--note: what else ran meanwhile) and
        docs/RELIABILITY.md's fuzzing tables are regenerated from it
  setup [--release]
        install the toolchain only (--release: also wasm-opt, for release builds)
  csp   [DIR]
        trunk's post-build hook (Trunk.toml): the Content-Security-Policy and the build id
        stamped into the staged site (DIR, or $TRUNK_STAGING_DIR)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Every subcommand answers --help with the usage, and runs nothing.
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let result = match args.first().map(String::as_str) {
        Some("serve") => steps::serve(&args[1..]),
        Some("test") => steps::test(&args[1..]),
        Some("bench") => steps::bench(&args[1..]),
        Some("fuzz") => steps::fuzz(&args[1..]),
        Some("csp") => csp::run(&args[1..]),
        Some("setup") => setup::web_tools(args.iter().any(|a| a == "--release")),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask: {e}");
            ExitCode::FAILURE
        }
    }
}
