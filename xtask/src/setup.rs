//! Installing what the build and the tests need, idempotently. Versions: `shared/TOOLCHAIN.md`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

pub type Result<T> = std::result::Result<T, String>;

pub const TRUNK_VERSION: &str = "0.21.14";
/// The Keras side of `distill bench` (CPU wheels on PyPI for Python 3.9–3.12).
const TENSORFLOW_VERSION: &str = "2.20.0";

/// npm's binaryen: Debian's (108) cannot read what rustc 1.95 emits.
pub const BINARYEN_VERSION: &str = "132.0.0";
pub const APT_PACKAGES: [&str; 3] = ["chromium", "chromium-driver", "dataset-fashion-mnist"];

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the repo")
        .to_path_buf()
}

/// Where cargo builds: `CARGO_TARGET_DIR` if set, else `target/` in the repo.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map_or_else(|| root().join("target"), |d| root().join(d))
}

pub fn say(msg: &str) {
    eprintln!("\x1b[1;34m==>\x1b[0m {msg}");
}

/// Set once a lean test run starts (`disk::preflight`): every child cargo (also trunk's and
/// `cargo run`'s) then builds without incremental state, which is only worth its disk when the
/// next build is a small edit — and one setting for all keeps their fingerprints alike.
pub static LEAN: AtomicBool = AtomicBool::new(false);

/// A command with cargo's bin and the project's npm tools on PATH.
pub fn cmd(program: &str) -> Command {
    let mut c = Command::new(program);
    c.env("PATH", path_env());
    if LEAN.load(Ordering::Relaxed) {
        c.env("CARGO_INCREMENTAL", "0");
    }
    c
}

/// Run a command, inheriting output; fail with `hint` appended.
pub fn run(cmd: &mut Command, hint: &str) -> Result<()> {
    let shown = format!("{cmd:?}").replace('"', "");
    let status = cmd
        .status()
        .map_err(|e| format!("could not start {shown}: {e}. {hint}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status}). {hint}"))
    }
}

/// The first line a command prints, if it runs.
pub fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = cmd(program)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn cargo_bin() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo")
        });
    home.join("bin")
}

/// PATH with cargo's bin and the project's npm tools in front, for every child process.
pub fn path_env() -> std::ffi::OsString {
    let mut dirs = vec![cargo_bin(), root().join(".tools/node_modules/.bin")];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).expect("valid PATH")
}

fn offline_hint(what: &str) -> String {
    format!(
        "Is crates.io reachable? Without it, install {what} by hand on a machine that has it \
         and put it on PATH (see shared/TOOLCHAIN.md for the versions)."
    )
}

/// The wasm-bindgen version Cargo.lock pins: the CLI must match it exactly.
pub fn wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l == "name = \"wasm-bindgen\""
            && let Some(v) = lines.next().and_then(|v| v.strip_prefix("version = \""))
        {
            return Ok(v.trim_end_matches('"').to_string());
        }
    }
    Err("Cargo.lock has no wasm-bindgen entry".into())
}

/// rustup target, trunk, wasm-bindgen-cli (and, for release builds, wasm-opt).
pub fn web_tools(release: bool) -> Result<()> {
    let installed = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !installed.lines().any(|l| l == "wasm32-unknown-unknown") {
        say("adding the wasm32-unknown-unknown target");
        run(
            cmd("rustup").args(["target", "add", "wasm32-unknown-unknown"]),
            &offline_hint("the wasm32 target"),
        )?;
    }
    let wb = wasm_bindgen_version()?;
    if output("wasm-bindgen", &["--version"]).is_none_or(|v| !v.ends_with(&wb)) {
        say(&format!(
            "installing wasm-bindgen-cli {wb} (the version in Cargo.lock; ~4 min)"
        ));
        // Without --locked: its lock pins a webpki-roots release the index lacks (TOOLCHAIN.md).
        run(
            cmd("cargo").args(["install", "wasm-bindgen-cli", "--version", &wb]),
            &offline_hint(&format!("wasm-bindgen-cli {wb}")),
        )?;
    }
    if output("trunk", &["--version"]).is_none_or(|v| !v.ends_with(TRUNK_VERSION)) {
        say(&format!(
            "installing trunk {TRUNK_VERSION} (~10 min; 0.22 needs a newer rustc)"
        ));
        run(
            cmd("cargo").args(["install", "trunk", "--version", TRUNK_VERSION, "--locked"]),
            &offline_hint(&format!("trunk {TRUNK_VERSION}")),
        )?;
    }
    if release {
        wasm_opt()?;
    }
    Ok(())
}

/// npm's binaryen into `.tools/` (trunk takes any `wasm-opt` on PATH).
pub fn wasm_opt() -> Result<()> {
    let tools = root().join(".tools");
    let ok = output("wasm-opt", &["--version"]).is_some_and(|v| {
        v.contains(&format!(
            "version {}",
            BINARYEN_VERSION.split('.').next().unwrap_or("")
        ))
    });
    if !ok {
        say(&format!(
            "installing wasm-opt (npm binaryen@{BINARYEN_VERSION}) into .tools/"
        ));
        std::fs::create_dir_all(&tools).map_err(|e| e.to_string())?;
        run(
            cmd("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(&tools)
                .arg(format!("binaryen@{BINARYEN_VERSION}")),
            "npm must reach registry.npmjs.org; or put a wasm-opt ≥ 116 on PATH.",
        )?;
    }
    Ok(())
}

fn dpkg_installed(pkg: &str) -> bool {
    output("dpkg-query", &["-W", "-f=${Status}", pkg])
        .is_some_and(|s| s.contains("install ok installed"))
}

/// Debian's Chromium, chromedriver and Fashion-MNIST; elsewhere, say what to install.
pub fn test_packages() -> Result<()> {
    let missing: Vec<&str> = APT_PACKAGES
        .iter()
        .copied()
        .filter(|p| !dpkg_installed(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if output("apt-get", &["--version"]).is_none() {
        return Err(format!(
            "this machine has no apt-get, so install by hand:\n  \
             - Chromium and a matching chromedriver (macOS: `brew install --cask chromium` and `brew install chromedriver`); \
               set CHROMIUM and CHROMEDRIVER to their paths\n  \
             - Fashion-MNIST's four official *-ubyte.gz files into /usr/share/datasets/fashion-mnist/ \
               (from https://storage.googleapis.com/tensorflow/tf-keras-datasets/)\n\
             missing: {}",
            missing.join(", ")
        ));
    }
    say(&format!(
        "installing Debian packages: {}",
        missing.join(" ")
    ));
    let sudo = output("id", &["-u"]).is_some_and(|u| u != "0");
    let apt = |args: &[&str]| {
        let mut c = if sudo {
            Command::new("sudo")
        } else {
            Command::new("apt-get")
        };
        if sudo {
            c.arg("apt-get");
        }
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    run(
        &mut apt(&["update", "-q"]),
        "apt-get update failed: is the Debian mirror reachable?",
    )?;
    let mut install = apt(&["install", "-y", "-q", "--no-install-recommends"]);
    install.args(&missing);
    run(&mut install, "apt-get install failed")
}

/// `npm ci` for the end-to-end driver (playwright-core only: it never downloads a browser).
pub fn e2e_packages() -> Result<()> {
    let e2e = root().join("e2e");
    if ["playwright-core", "axe-core"]
        .iter()
        .all(|p| e2e.join("node_modules").join(p).exists())
    {
        return Ok(());
    }
    say("installing the end-to-end driver and audit (npm playwright-core, axe-core)");
    run(
        cmd("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&e2e),
        "npm must reach registry.npmjs.org.",
    )
}

/// TensorFlow (CPU) in `.tools/venv`, for the Keras side of `distill bench` (the study's stack).
pub fn tensorflow_venv() -> Result<()> {
    let venv = root().join(".tools/venv");
    let python = venv.join("bin/python");
    let has_tf = || {
        Command::new(&python)
            .args(["-c", "import tensorflow"])
            .env("TF_CPP_MIN_LOG_LEVEL", "3")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if has_tf() {
        return Ok(());
    }
    say(&format!(
        "installing tensorflow-cpu {TENSORFLOW_VERSION} into .tools/venv (~260 MB download)"
    ));
    let hint = "Keras is skipped: `python3 -m venv` and PyPI (tensorflow-cpu) must be reachable.";
    if !python.exists() {
        run(cmd("python3").args(["-m", "venv"]).arg(&venv), hint)?;
    }
    run(
        Command::new(venv.join("bin/pip")).args([
            "install",
            "-q",
            &format!("tensorflow-cpu=={TENSORFLOW_VERSION}"),
        ]),
        hint,
    )
}
