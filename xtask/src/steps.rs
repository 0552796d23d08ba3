//! What `serve`, `test` and `bench` run, in order.

use crate::disk;
use crate::setup::{self, Result, cmd, root, run, say, target_dir};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::Instant;

const FASHION: &str = "/usr/share/datasets/fashion-mnist";

fn flag(args: &[String], name: &str) -> bool {
    args.iter().any(|a| a == name)
}

fn value(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// `cargo run --bin distill -- prepare ...` unless `data/<dataset>/manifest.json` exists.
fn prepare(dataset: &str, source: Option<&str>, release: bool) -> Result<()> {
    if root()
        .join("data")
        .join(dataset)
        .join("manifest.json")
        .exists()
    {
        return Ok(());
    }
    say(&format!(
        "preparing data/{dataset}: first building the distill CLI{} (cargo's progress below; \
         minutes on a fresh machine, seconds after)",
        if release { " in release mode" } else { "" }
    ));
    let mut c = cmd("cargo");
    // Not --quiet: a fresh release build is minutes of work, and silence looks like a hang.
    c.current_dir(root()).args(["run", "--bin", "distill"]);
    if release {
        c.arg("--release");
    }
    c.args(["--", "prepare", "--dataset", dataset, "--out", "data"]);
    if let Some(s) = source {
        c.args(["--source", s]);
    }
    run(
        &mut c,
        &format!(
            "The dataset could not be prepared (see above). Without internet, serve the Fashion-MNIST \
             that Debian ships instead:\n  cargo xtask serve --dataset fashion-mnist --source {FASHION}"
        ),
    )
}

/// The teacher the lessons were measured with (docs/results/lessons.json): the study's full
/// recipe on all of Fashion-MNIST (`bench/teacher.sh`, half an hour on 2 cores), shipped in the
/// repo in half precision (`bench/ship_teacher.sh`) so a newcomer's first lesson needs no
/// training. Published as data/fashion-mnist/teacher.dlw for the page and `teacher=pretrained`.
pub const SHIPPED_TEACHER: &str = "teachers/fashion-mnist.dlw";

/// Copy the shipped teacher into data/fashion-mnist, unless a teacher is already published
/// there: one the user trained is never replaced, only named (the lesson cards say so too, when
/// its accuracy differs from the one their figures were measured with).
fn publish_teacher() -> Result<()> {
    let (from, to) = (
        root().join(SHIPPED_TEACHER),
        root().join("data/fashion-mnist/teacher.dlw"),
    );
    let shipped = std::fs::read(&from)
        .map_err(|e| format!("cannot read {SHIPPED_TEACHER} ({e}): is this a whole clone?"))?;
    match std::fs::read(&to) {
        Ok(old) if old == shipped => Ok(()),
        Ok(_) => {
            say(&format!(
                "data/fashion-mnist/teacher.dlw is not the shipped teacher ({SHIPPED_TEACHER}) and \
                 is kept; the lessons' figures were measured with the shipped one (remove yours \
                 to publish it)"
            ));
            Ok(())
        }
        Err(_) => {
            let tmp = to.with_file_name(".teacher.dlw.tmp");
            std::fs::write(&tmp, &shipped)
                .and_then(|()| std::fs::rename(&tmp, &to))
                .map_err(|e| format!("cannot write {} ({e})", to.display()))?;
            say(&format!(
                "published the shipped teacher {SHIPPED_TEACHER} as data/fashion-mnist/teacher.dlw"
            ));
            Ok(())
        }
    }
}

pub fn serve(args: &[String]) -> Result<()> {
    let release = flag(args, "--release");
    let dataset = value(args, "--dataset").unwrap_or_else(|| "emnist-letters".into());
    setup::web_tools(release)?;
    prepare(&dataset, value(args, "--source").as_deref(), true)?;
    // The first lesson (the page's default run) is Fashion-MNIST with a published teacher.
    if dataset != "fashion-mnist" {
        if std::path::Path::new(FASHION).exists() {
            prepare("fashion-mnist", Some(FASHION), true)?;
        } else {
            say(&format!(
                "the page's first lesson needs data/fashion-mnist: install Debian's \
                 dataset-fashion-mnist ({FASHION}) and run this again"
            ));
        }
    }
    if root().join("data/fashion-mnist/manifest.json").exists() {
        publish_teacher()?;
    }
    // A bare visit opens on the first lesson (Fashion-MNIST); another set is named in the link.
    let query = if ["emnist-letters", "fashion-mnist"].contains(&dataset.as_str()) {
        String::new()
    } else {
        format!("?dataset={dataset}")
    };
    say(&format!(
        "serving on http://127.0.0.1:8080/{query}  (Ctrl-C stops)"
    ));
    let mut c = cmd("trunk");
    c.current_dir(root()).arg("serve");
    if release {
        c.arg("--release");
    }
    run(&mut c, "")
}

/// Runs a command, echoing its output, and returns the lines (stdout and stderr together).
fn run_logged(c: &mut Command, what: &str) -> Result<Vec<String>> {
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start {what}: {e}"))?;
    let err = child.stderr.take().expect("piped");
    let err_thread = std::thread::spawn(move || {
        BufReader::new(err)
            .lines()
            .map_while(|l| l.ok())
            .inspect(|l| eprintln!("{l}"))
            .collect::<Vec<_>>()
    });
    let mut lines: Vec<String> = BufReader::new(child.stdout.take().expect("piped"))
        .lines()
        .map_while(|l| l.ok())
        .inspect(|l| println!("{l}"))
        .collect();
    lines.extend(err_thread.join().unwrap_or_default());
    let status = child.wait().map_err(|e| e.to_string())?;
    if status.success() {
        Ok(lines)
    } else {
        let hint = disk::full_disk_hint(&lines, &target_dir()).unwrap_or_default();
        Err(format!("{what} failed ({status}).{hint}"))
    }
}

/// "N passed, M failed, K ignored" over every `test result:` line of libtest.
fn libtest_summary(lines: &[String]) -> String {
    let (mut passed, mut failed, mut ignored, mut suites) = (0, 0, 0, 0);
    for l in lines
        .iter()
        .filter_map(|l| l.trim().strip_prefix("test result: "))
    {
        suites += 1;
        for part in l.split(';') {
            let mut w = part.split_whitespace().rev();
            let (Some(kind), Some(n)) = (w.next(), w.next()) else {
                continue;
            };
            let n: usize = n.parse().unwrap_or(0);
            match kind {
                "passed" => passed += n,
                "failed" => failed += n,
                "ignored" => ignored += n,
                _ => {}
            }
        }
    }
    format!("{passed} passed, {failed} failed, {ignored} ignored ({suites} test binaries)")
}

/// node --test's closing counts ("# tests 4" in TAP, "ℹ tests 4" in the spec reporter).
fn node_summary(lines: &[String]) -> String {
    let pick = |k: &str| {
        lines
            .iter()
            .rev()
            .find_map(|l| {
                let l = l.trim();
                l.strip_prefix(&format!("# {k} "))
                    .or_else(|| l.strip_prefix(&format!("ℹ {k} ")))
                    .map(str::to_string)
            })
            .unwrap_or_else(|| "?".into())
    };
    format!(
        "{} tests, {} passed, {} failed",
        pick("tests"),
        pick("pass"),
        pick("fail")
    )
}

struct Report(Vec<(String, String, f64)>);

impl Report {
    fn step(&mut self, name: &str, f: impl FnOnce() -> Result<String>) -> Result<()> {
        say(name);
        let t = Instant::now();
        let summary = f()?;
        let secs = t.elapsed().as_secs_f64();
        eprintln!(
            "    {name}: {summary} [{secs:.0} s; {}]",
            disk::line(&target_dir())
        );
        self.0.push((name.to_string(), summary, secs));
        Ok(())
    }
}

pub fn test(args: &[String]) -> Result<()> {
    let started = Instant::now();
    let e2e = !flag(args, "--no-e2e");
    let target = target_dir();
    let lean = disk::preflight(&target, flag(args, "--lean"));
    setup::LEAN.store(lean, Ordering::Relaxed);
    setup::test_packages()?;
    setup::web_tools(false)?;
    if e2e {
        setup::e2e_packages()?;
    }
    let root = root();
    let cargo = |a: &[&str]| {
        let mut c = cmd("cargo");
        c.current_dir(&root).args(a);
        c
    };
    // Lean: wasm32 clippy's check outputs share nothing with the wasm builds but the host's
    // proc-macros, so they go to their own folder, removed once clippy is done. The native
    // check shares the host's proc-macros with `cargo test` and goes with target/debug.
    let clippy_dir = target.join("lean-clippy");
    let wasm_clippy = |a: &[&str]| {
        let mut c = cargo(a);
        if lean {
            c.env("CARGO_TARGET_DIR", &clippy_dir);
        }
        c
    };
    let mut r = Report(Vec::new());
    r.step("rustfmt", || {
        run_logged(
            &mut cargo(&["fmt", "--all", "--", "--check"]),
            "cargo fmt --check",
        )
        .map(|_| "clean".into())
    })?;
    r.step("clippy (native)", || {
        run_logged(
            &mut cargo(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
            "clippy",
        )
        .map(|_| "no warnings".into())
    })?;
    r.step("clippy (wasm32)", || {
        run_logged(
            &mut wasm_clippy(&[
                "clippy",
                "--target",
                "wasm32-unknown-unknown",
                "--features",
                "webgpu",
                "--lib",
                "--bins",
                "--test",
                "wasm",
                "--",
                "-D",
                "warnings",
            ]),
            "clippy for wasm32",
        )?;
        // The CPU-only worker bundle (index.html) is the library without `webgpu`.
        run_logged(
            &mut wasm_clippy(&[
                "clippy",
                "--target",
                "wasm32-unknown-unknown",
                "--bin",
                "worker_cpu",
                "--",
                "-D",
                "warnings",
            ]),
            "clippy for the CPU worker bundle",
        )?;
        // The page's UI bundle is built without burn (index.html): lint that build too.
        run_logged(
            &mut wasm_clippy(&[
                "clippy",
                "--target",
                "wasm32-unknown-unknown",
                "--no-default-features",
                "--bin",
                "app",
                "--",
                "-D",
                "warnings",
            ]),
            "clippy for the UI bundle",
        )?;
        if lean {
            disk::remove(&clippy_dir)?;
        }
        Ok("no warnings (both worker bundles and the UI)".into())
    })?;
    r.step("cargo test (native)", || {
        run_logged(
            &mut cargo(&["test", "--workspace", "--", "--test-threads=2"]),
            "cargo test",
        )
        .map(|l| libtest_summary(&l))
    })?;
    if e2e {
        // Before the wasm builds: both use the native `distill` that `cargo test` just built.
        r.step("data for the end-to-end tests", || {
            prepare("fashion-mnist", Some(FASHION), false)?;
            publish_teacher()?;
            Ok("data/fashion-mnist with a pretrained teacher".into())
        })?;
    }
    if lean {
        // Nothing after this runs native code of ours. The host's proc-macros and build
        // scripts go too: the wasm builds rebuild them (a few minutes on 2 cores), but keeping
        // them would not lower the peak, which the wasm step reaches with them beside it, and
        // telling them apart from the native outputs needs cargo's unstable unit graph.
        disk::remove(&target.join("debug"))?;
        // The native tests' scratch folders (CARGO_TARGET_TMPDIR): kept after a failure to be
        // read, not needed once the step passed.
        disk::remove(&target.join("tmp"))?;
    }
    r.step(
        "wasm-bindgen tests (headless Chromium, WebGPU on SwiftShader)",
        || {
            let mut c = cargo(&[
                "test",
                "--target",
                "wasm32-unknown-unknown",
                "--features",
                "webgpu",
                "--test",
                "wasm",
            ]);
            c.env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                "wasm-bindgen-test-runner",
            )
            .env(
                "CHROMEDRIVER",
                std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into()),
            )
            .env("WASM_BINDGEN_TEST_TIMEOUT", "600")
            .env("WASM_BINDGEN_TEST_DRIVER_TIMEOUT", "60");
            run_logged(&mut c, "wasm-bindgen tests").map(|l| libtest_summary(&l))
        },
    )?;
    if e2e {
        if lean {
            // The tests' executables and the bins built with their features: the page's
            // bundles are linked again from the libraries, which the worker bundle shares.
            disk::remove_wasm_binaries(&target.join("wasm32-unknown-unknown/debug"))?;
        }
        r.step("end-to-end (headless Chromium)", || {
            run_logged(cmd("trunk").current_dir(&root).arg("build"), "trunk build")?;
            // The same site under a sub-path, as on GitHub Pages.
            run_logged(
                cmd("trunk").current_dir(&root).args([
                    "build",
                    "--public-url",
                    "/lab/",
                    "--dist",
                    "target/dist-lab",
                ]),
                "trunk build --public-url /lab/",
            )?;
            let mut c = cmd("npm");
            c.current_dir(root.join("e2e")).args(["test"]);
            run_logged(&mut c, "end-to-end tests").map(|l| node_summary(&l))
        })?;
    }
    eprintln!("\nsummary:");
    for (name, summary, secs) in &r.0 {
        eprintln!("  {name:<62} {summary} [{secs:.0} s]");
    }
    eprintln!(
        "  all green in {:.1} min{}",
        started.elapsed().as_secs_f64() / 60.0,
        if lean {
            " (lean: build outputs removed as they were done with)"
        } else {
            ""
        }
    );
    Ok(())
}

/// `cargo xtask bench [--debug] [--no-keras] [--only KEYS]`: the native bench against
/// Keras/TensorFlow on the CPU, then the browser bench against TensorFlow.js in one headless
/// Chromium. Figures, never pass/fail; the last line is one JSON object with the ratios, and the
/// whole report lands in target/bench/.
pub fn bench(args: &[String]) -> Result<()> {
    let debug = flag(args, "--debug");
    setup::web_tools(!debug)?;
    setup::test_packages()?;
    setup::e2e_packages()?;
    let root = root();
    let out = root.join("target/bench");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;

    say("native: distill bench (burn flex on the CPU) against Keras/TensorFlow CPU");
    let keras = !flag(args, "--no-keras") && setup::tensorflow_venv().is_ok();
    let mut c = cmd("cargo");
    c.current_dir(&root).args([
        "run",
        "--quiet",
        "--release",
        "--bin",
        "distill",
        "--",
        "bench",
        "--layers",
    ]);
    if !keras {
        c.arg("--no-keras");
    }
    let lines = run_logged(&mut c, "distill bench")?;
    let native = out.join("native.json");
    let json = lines.iter().rev().find(|l| l.starts_with('{'));
    std::fs::write(&native, json.cloned().unwrap_or_default()).map_err(|e| e.to_string())?;

    let dist = root.join(if debug {
        "target/dist-bench-debug"
    } else {
        "target/dist-bench"
    });
    say(&format!(
        "browser: trunk build{} into {}",
        if debug { "" } else { " --release" },
        dist.display()
    ));
    let mut c = cmd("trunk");
    c.current_dir(&root).arg("build").arg("--dist").arg(&dist);
    if !debug {
        // What a hosted release ships (index.html's release profiles; .github/workflows/pages.yml).
        c.arg("--release");
    }
    run_logged(&mut c, "trunk build")?;
    let browser = root.join("bench/browser");
    if !browser.join("node_modules/@tensorflow/tfjs").exists() {
        say("installing TensorFlow.js from npm for the comparison");
        run(
            cmd("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&browser),
            "npm must reach registry.npmjs.org.",
        )?;
    }
    say(
        "browser: Distill Lab (WebGPU, CPU) and TensorFlow.js (webgpu, webgl, wasm) in one Chromium",
    );
    let mut c = cmd("node");
    c.current_dir(&browser)
        .arg("run.mjs")
        .arg("--dist")
        .arg(&dist)
        .arg("--native")
        .arg(&native)
        .arg("--out")
        .arg(out.join("browser.json"));
    if let Some(only) = value(args, "--only") {
        c.args(["--only", &only]);
    }
    run_logged(&mut c, "browser bench")?;
    // A whole release run is what docs/PERFORMANCE.md's tables are generated from.
    if !debug && value(args, "--only").is_none() {
        run(
            cmd("python3").current_dir(&root).args([
                "bench/perf.py",
                "collect",
                "target/bench/browser.json",
            ]),
            "could not write docs/results/bench.json",
        )?;
        run(
            cmd("python3").current_dir(&root).args([
                "bench/tables.py",
                "--only",
                "bench-native,bench-layers,bench-browser,bench-counts,bench-downloads,bench-summary,bench-goals,bench-headline",
            ]),
            "could not regenerate docs/PERFORMANCE.md's tables",
        )?;
    }
    Ok(())
}

/// `fuzz`: tests/parser_properties.rs in release, each parser for `--secs` seconds; with
/// `--libfuzzer`, the coverage-guided targets in fuzz/ (libFuzzer) instead.
pub fn fuzz(args: &[String]) -> Result<()> {
    let secs = value(args, "--secs").unwrap_or_else(|| "60".into());
    if secs.parse::<u64>().is_err() {
        return Err(format!("--secs {secs}: expected a whole number of seconds"));
    }
    setup::test_packages()?;
    if flag(args, "--libfuzzer") {
        // `--runs N` stops each target after N inputs instead of after `--secs`.
        let budget = match value(args, "--runs") {
            Some(n) if n.parse::<u64>().is_ok() => format!("-runs={n}"),
            Some(n) => return Err(format!("--runs {n}: expected a whole number of inputs")),
            None => format!("-max_total_time={secs}"),
        };
        let only = value(args, "--only");
        let targets: Vec<&str> = (FUZZ_TARGETS.iter().copied())
            .filter(|t| {
                only.as_deref()
                    .is_none_or(|o| o.split(',').any(|x| x == *t))
            })
            .collect();
        if targets.is_empty() {
            return Err(format!(
                "--only: the targets are {}",
                FUZZ_TARGETS.join(", ")
            ));
        }
        // The command as run, less the note (recorded apart).
        let mut shown = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--note" => {
                    it.next();
                }
                _ => shown.push(a.as_str()),
            }
        }
        let command = format!("cargo xtask fuzz {}", shown.join(" "));
        let note = value(args, "--note").unwrap_or_default();
        return libfuzzer(&budget, &targets, &command, &note);
    }
    say(&format!(
        "each parser for {secs} s on mutated real files (release build)"
    ));
    run(
        cmd("cargo")
            .current_dir(root())
            .args([
                "test",
                "--release",
                "--test",
                "parser_properties",
                "--",
                "--nocapture",
            ])
            .env("DISTILL_FUZZ_SECS", &secs),
        "a parser broke a property (the failing input is saved; see above)",
    )
}

/// The coverage-guided targets of fuzz/Cargo.toml, in the order they run.
const FUZZ_TARGETS: [&str; 9] = [
    "idx",
    "zip",
    "mat",
    "shard",
    "manifest",
    "settings",
    "checkpoint",
    "dlw",
    "resume",
];
/// The targets that build burn networks: fuzz/'s `train` feature, built apart.
const FUZZ_BURN: [&str; 2] = ["dlw", "resume"];

/// Build fuzz/ with sanitizer coverage (what cargo-fuzz passes, less AddressSanitizer, so the
/// stable toolchain does), write the seed corpora from real files, run each target within
/// `budget`, print runs, runs/s and peak memory, and record the campaign: `bench/fuzz.py
/// collect` appends it to docs/results/fuzz.json and regenerates docs/RELIABILITY.md's tables.
fn libfuzzer(budget: &str, targets: &[&str], command: &str, note: &str) -> Result<()> {
    let root = root();
    let host = "x86_64-unknown-linux-gnu";
    let target = root.join("target/fuzz");
    // The seed writer links no libFuzzer, so it is built plainly, apart.
    say("writing the seed corpora from real files");
    let seeds_target = root.join("target/fuzz-seeds");
    let burn = targets.iter().any(|t| FUZZ_BURN.contains(t));
    let mut seeds = cmd("cargo");
    seeds
        .current_dir(root.join("fuzz"))
        .args(["build", "--release", "--bin", "seeds"])
        .env("CARGO_TARGET_DIR", &seeds_target);
    if burn {
        seeds.args(["--features", "train"]);
    }
    run(&mut seeds, "the seed writer did not build (see above)")?;
    let corpus = root.join("fuzz/corpus");
    run(
        cmd(&seeds_target.join("release/seeds").to_string_lossy()).args([
            FASHION,
            &root.join("tests/data/emnist").to_string_lossy(),
            &corpus.to_string_lossy(),
        ]),
        "the seed corpora could not be written",
    )?;
    say("building the fuzz targets with sanitizer coverage (release)");
    // The burn targets in a target folder of their own: the lab's crate is built there with
    // its `train` feature, which would otherwise rebuild it for the others each time.
    let groups = [
        (false, target.clone()),
        (true, root.join("target/fuzz-train")),
    ];
    for (with_burn, dir) in &groups {
        let group: Vec<&str> = (targets.iter().copied())
            .filter(|t| FUZZ_BURN.contains(t) == *with_burn)
            .collect();
        if group.is_empty() {
            continue;
        }
        let mut build = cmd("cargo");
        build
            .current_dir(root.join("fuzz"))
            .args(["build", "--release", "--target", host]);
        if *with_burn {
            build.args(["--features", "train"]);
        }
        for t in &group {
            build.args(["--bin", t]);
        }
        run(
            build.env("CARGO_TARGET_DIR", dir).env(
                "RUSTFLAGS",
                "-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
                     -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
                     -Cllvm-args=-sanitizer-coverage-pc-table \
                     -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing \
                     -Cdebug-assertions -Coverflow-checks",
            ),
            "the fuzz targets did not build (see above)",
        )?;
    }
    let bin = |t: &str| {
        let dir = &groups[usize::from(FUZZ_BURN.contains(&t))].1;
        dir.join(host).join("release").join(t)
    };
    let mut rows = Vec::new();
    let started = std::time::Instant::now();
    for &t in targets {
        let artifacts = root.join("fuzz/artifacts").join(t);
        std::fs::create_dir_all(&artifacts).map_err(|e| e.to_string())?;
        say(&format!("fuzzing {t} ({budget})"));
        // libFuzzer cuts inputs to 1 MiB unless told: the `.dlw` target's whole-student seed
        // (1.6 MB) must stay whole for a record to load.
        let max_len = if t == "dlw" { 2 << 20 } else { 1 << 20 };
        let target_started = Instant::now();
        let outcome = run_logged(
            cmd(&bin(t).to_string_lossy()).args([
                format!("-max_len={max_len}"),
                corpus.join(t).to_string_lossy().into_owned(),
                budget.to_string(),
                "-rss_limit_mb=256".into(),
                "-timeout=10".into(),
                "-print_final_stats=1".into(),
                format!("-artifact_prefix={}/", artifacts.display()),
            ]),
            &format!(
                "libFuzzer on {t}: a crash, a timeout or over 256 MB (the input is in {})",
                artifacts.display()
            ),
        );
        let lines = match outcome {
            Ok(lines) => lines,
            Err(e) => {
                // A failing campaign is recorded too (the target that failed, and why), then
                // reported.
                rows.push(FuzzRow {
                    failed: Some(e.clone()),
                    ..FuzzRow::new(t, max_len, target_started)
                });
                record_campaign(command, note, started, &rows)?;
                return Err(e);
            }
        };
        let stat = |name: &str| {
            lines
                .iter()
                .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
                .unwrap_or_default()
        };
        // The last status line: `#N DONE cov: E ft: F corp: C/SIZE ...` (edges covered, inputs
        // kept).
        let done = (lines.iter().rev())
            .find(|l| l.contains("DONE") && l.contains("cov:"))
            .cloned();
        let after = |key: &str| {
            let rest = done.as_deref()?.split(key).nth(1)?;
            rest.split(|c: char| !c.is_ascii_digit())
                .find(|p| !p.is_empty())
                .map(str::to_string)
        };
        rows.push(FuzzRow {
            runs: stat("stat::number_of_executed_units:"),
            per_s: stat("stat::average_exec_per_sec:"),
            rss_mb: stat("stat::peak_rss_mb:"),
            edges: after("cov:"),
            corpus: after("corp:"),
            ..FuzzRow::new(t, max_len, target_started)
        });
    }
    eprintln!("\n| target | runs | runs/s | peak RSS (MB) |\n| --- | ---: | ---: | ---: |");
    for r in &rows {
        eprintln!("| {} | {} | {} | {} |", r.target, r.runs, r.per_s, r.rss_mb);
    }
    eprintln!("({} s in all)", started.elapsed().as_secs());
    record_campaign(command, note, started, &rows)
}

/// Append the campaign to docs/results/fuzz.json (`bench/fuzz.py collect`, which also
/// regenerates docs/RELIABILITY.md's fuzzing tables from it).
fn record_campaign(command: &str, note: &str, started: Instant, rows: &[FuzzRow]) -> Result<()> {
    let json = campaign_json(command, note, started.elapsed().as_secs(), rows);
    let record = target_dir().join("fuzz-campaign.json");
    std::fs::write(&record, json).map_err(|e| format!("{}: {e}", record.display()))?;
    run(
        cmd("python3").current_dir(root()).args([
            "bench/fuzz.py",
            "collect",
            &record.to_string_lossy(),
        ]),
        "could not record the campaign in docs/results/fuzz.json",
    )
}

/// One target's run in a libFuzzer campaign, as libFuzzer's final stats state it.
struct FuzzRow<'a> {
    target: &'a str,
    runs: String,
    per_s: String,
    rss_mb: String,
    edges: Option<String>,
    corpus: Option<String>,
    max_len: u32,
    seconds: u64,
    /// Why the target stopped the campaign (a crash, a timeout, over the memory limit).
    failed: Option<String>,
}

impl<'a> FuzzRow<'a> {
    /// A row with no stats yet, timed from `started`.
    fn new(target: &'a str, max_len: u32, started: Instant) -> Self {
        FuzzRow {
            target,
            runs: String::new(),
            per_s: String::new(),
            rss_mb: String::new(),
            edges: None,
            corpus: None,
            max_len,
            seconds: started.elapsed().as_secs(),
            failed: None,
        }
    }
}

/// The campaign as JSON for `bench/fuzz.py collect` (which adds the date and the machine). The
/// xtask has no dependencies, so the object is written by hand: numbers from libFuzzer's own
/// output (digits only, else null) and two strings escaped.
fn campaign_json(command: &str, note: &str, seconds: u64, rows: &[FuzzRow]) -> String {
    let num = |v: Option<&str>| match v {
        Some(d) if !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) => d.to_string(),
        _ => "null".into(),
    };
    let text = |s: &str| {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out + "\""
    };
    let targets: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{{\"target\": {}, \"runs\": {}, \"runs_per_s\": {}, \"peak_rss_mb\": {}, \
                 \"edges\": {}, \"corpus\": {}, \"max_len\": {}, \"seconds\": {}, \
                 \"failed\": {}}}",
                text(r.target),
                num(Some(&r.runs)),
                num(Some(&r.per_s)),
                num(Some(&r.rss_mb)),
                num(r.edges.as_deref()),
                num(r.corpus.as_deref()),
                r.max_len,
                r.seconds,
                r.failed.as_deref().map_or("null".into(), &text)
            )
        })
        .collect();
    format!(
        "{{\"command\": {}, \"note\": {}, \"seconds\": {seconds}, \"rss_limit_mb\": 256, \
         \"timeout_s\": 10, \"targets\": [{}]}}\n",
        text(command),
        text(note),
        targets.join(", ")
    )
}
