//! How much disk the build takes and how much is left: printed after every step of
//! `cargo xtask test`, and checked before it, because a full disk fails a build half an hour
//! in with a bare "No space left on device".

use crate::setup::{output, say};
use std::collections::HashSet;
use std::path::Path;

/// About the most `target/` grows to in a clean `cargo xtask test` (not lean), rounded up from
/// the measurement in docs/PERFORMANCE.md. Decides whether to run lean; never fails a run.
pub const CLEAN_TEST_PEAK_MB: u64 = 4_000;
/// The same for `--lean` (docs/PERFORMANCE.md).
const LEAN_TEST_PEAK_MB: u64 = 2_300;
/// Room left for what the run writes outside target/: the registry's sources, Chromium, the
/// dataset, npm's packages, temporary files.
const MARGIN_MB: u64 = 3_000;

/// Bytes under `dir`, not following links, a hard-linked file once (what `du -sm` counts:
/// cargo links each bin into the profile folder from `deps/`).
pub fn size_mb(dir: &Path) -> u64 {
    fn walk(dir: &Path, seen: &mut HashSet<String>) -> u64 {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return 0;
        };
        entries
            .map_while(|e| e.ok())
            .map(|e| match e.file_type() {
                Ok(t) if t.is_dir() => walk(&e.path(), seen),
                Ok(t) if t.is_file() => bytes_once(&e.path(), seen),
                _ => 0,
            })
            .sum()
    }
    walk(dir, &mut HashSet::new()) / (1 << 20)
}

/// A file's bytes, or 0 when `seen` already holds another link to it.
fn bytes_once(path: &Path, seen: &mut HashSet<String>) -> u64 {
    match std::fs::metadata(path) {
        Ok(m) if seen.insert(file_id(&m, path)) => m.len(),
        _ => 0,
    }
}

/// What tells hard links to one file apart from other files: its inode where there are inodes.
#[cfg(unix)]
fn file_id(m: &std::fs::Metadata, _: &Path) -> String {
    use std::os::unix::fs::MetadataExt;
    format!("{}:{}", m.dev(), m.ino())
}

#[cfg(not(unix))]
fn file_id(_: &std::fs::Metadata, path: &Path) -> String {
    path.display().to_string()
}

/// MB free on the filesystem holding `dir`, or its parent if `dir` is not made yet (POSIX
/// `df -P`), if `df` answers.
fn free_mb(dir: &Path) -> Option<u64> {
    let df = |p: &Path| available_column(&output("df", &["-Pm", p.to_str()?])?);
    df(dir).or_else(|| df(dir.parent()?))
}

/// The "Available" figure of `df -P`'s one filesystem line.
fn available_column(df: &str) -> Option<u64> {
    df.lines().nth(1)?.split_whitespace().nth(3)?.parse().ok()
}

/// "target/ 5120 MB, 30865 MB free".
pub fn line(target: &Path) -> String {
    describe(size_mb(target), free_mb(target))
}

fn describe(have: u64, free: Option<u64>) -> String {
    let free = free.map_or_else(|| "free space unknown".into(), |f| format!("{f} MB free"));
    format!("target/ {have} MB, {free}")
}

/// Before a test run: say what there is, and whether to run lean — when asked (`--lean`, what
/// CI uses), or when a clean build's peak would not fit in what is free with room to spare.
pub fn preflight(target: &Path, asked: bool) -> bool {
    let have = size_mb(target);
    let free = free_mb(target);
    say(&format!("disk: {}", describe(have, free)));
    let (lean, note) = plan(have, free, asked);
    if let Some(note) = note {
        eprintln!("{note}");
    }
    lean
}

/// Whether to run lean, and what to tell the user, from target/'s size and the free MB.
/// What target/ already holds counts as room: a rebuild reuses or replaces it.
fn plan(have: u64, free: Option<u64>, asked: bool) -> (bool, Option<String>) {
    let Some(free) = free else {
        return (asked, None);
    };
    let room = free + have;
    if room < LEAN_TEST_PEAK_MB + MARGIN_MB {
        let note = format!(
            "warning: even a lean `cargo xtask test` grows target/ to about {LEAN_TEST_PEAK_MB} \
             MB and needs some {MARGIN_MB} MB beside it; this disk has {free} MB free. It will \
             likely stop with \"No space left on device\": free some space first."
        );
        return (true, Some(note));
    }
    if room < CLEAN_TEST_PEAK_MB + MARGIN_MB && !asked {
        let note = format!(
            "a clean `cargo xtask test` grows target/ to about {CLEAN_TEST_PEAK_MB} MB, more than \
             this disk has to spare ({free} MB free): running lean, as `--lean` would, which \
             removes each step's build outputs once no later step needs them."
        );
        return (true, Some(note));
    }
    (asked, None)
}

/// Removes a build folder that no later step needs, saying how much that freed.
pub fn remove(dir: &Path) -> Result<(), String> {
    let mb = size_mb(dir);
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {
            say(&format!("lean: removed {} ({mb} MB)", dir.display()));
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("could not remove {}: {e}", dir.display())),
    }
}

/// Removes the linked wasm binaries under a wasm32 profile folder (`dir` and `dir/deps`): the
/// wasm-bindgen tests' executables, and the bins cargo built beside them with the tests'
/// features. A later build that needs a bin links it again from the libraries, which stay.
pub fn remove_wasm_binaries(dir: &Path) -> Result<(), String> {
    let (mut bytes, mut seen) = (0, HashSet::new());
    for folder in [dir.to_path_buf(), dir.join("deps")] {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for path in entries.map_while(|e| e.ok()).map(|e| e.path()) {
            if path.extension().is_some_and(|x| x == "wasm") && path.is_file() {
                bytes += bytes_once(&path, &mut seen);
                std::fs::remove_file(&path)
                    .map_err(|e| format!("could not remove {}: {e}", path.display()))?;
            }
        }
    }
    say(&format!(
        "lean: removed the wasm binaries under {} ({} MB)",
        dir.display(),
        bytes >> 20
    ));
    Ok(())
}

/// When a failed command's output says the disk filled up, a hint that says so plainly.
pub fn full_disk_hint(lines: &[String], target: &Path) -> Option<String> {
    lines
        .iter()
        .any(|l| l.contains("No space left on device"))
        .then(|| {
            format!(
                " The disk is full ({}): a clean `cargo xtask test` needs about {} MB under \
                 target/. Free some space and run it again; what is built is kept.",
                line(target),
                CLEAN_TEST_PEAK_MB
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_available_column_of_df() {
        let df = "Filesystem     1048576-blocks  Used Available Capacity Mounted on\n\
                  /dev/vda               258020 63012     30042      68% /";
        assert_eq!(available_column(df), Some(30042));
        assert_eq!(
            available_column("Filesystem 1048576-blocks Used Available"),
            None
        );
        // A target/ not made yet: its parent's filesystem.
        let not_made = std::env::temp_dir().join(format!("xtask-not-made-{}", std::process::id()));
        assert!(
            free_mb(&not_made).is_some(),
            "df answers here, for the parent"
        );
    }

    #[test]
    fn counts_what_is_under_a_folder() {
        let dir = std::env::temp_dir().join(format!("xtask-disk-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("a/b")).unwrap();
        std::fs::write(dir.join("a/b/f"), vec![0u8; 3 << 20]).unwrap();
        std::fs::write(dir.join("g"), vec![0u8; 1 << 20]).unwrap();
        assert_eq!(size_mb(&dir), 4);
        // A second link to a file is not more bytes on the disk.
        std::fs::hard_link(dir.join("a/b/f"), dir.join("h")).unwrap();
        assert_eq!(size_mb(&dir), 4);
        remove(&dir).unwrap();
        assert!(!dir.exists());
        remove(&dir).expect("a folder already gone is fine");
    }

    #[test]
    fn removes_linked_wasm_binaries_and_keeps_the_libraries() {
        let dir = std::env::temp_dir().join(format!("xtask-wasm-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("deps")).unwrap();
        for f in [
            "worker.wasm",
            "deps/worker-0123.wasm",
            "deps/wasm-4567.wasm",
        ] {
            std::fs::write(dir.join(f), b"\0asm").unwrap();
        }
        // What cargo does for a bin: the top-level file is a hard link to the one in deps.
        std::fs::hard_link(dir.join("deps/worker-0123.wasm"), dir.join("app.wasm")).unwrap();
        for f in [
            "deps/libburn-89ab.rlib",
            "deps/libburn-89ab.rmeta",
            "worker.d",
        ] {
            std::fs::write(dir.join(f), b"kept").unwrap();
        }
        remove_wasm_binaries(&dir).unwrap();
        let mut left: Vec<_> = ["", "deps"]
            .iter()
            .flat_map(|f| std::fs::read_dir(dir.join(f)).unwrap())
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n != "deps")
            .collect();
        left.sort();
        assert_eq!(
            left,
            ["libburn-89ab.rlib", "libburn-89ab.rmeta", "worker.d"]
        );
        remove(&dir).unwrap();
        remove_wasm_binaries(&dir).expect("a folder not there is fine");
    }

    #[test]
    fn runs_lean_when_asked_or_short_and_warns_when_even_lean_will_not_fit() {
        // Plenty: as asked.
        assert_eq!(plan(0, Some(30_000), false), (false, None));
        assert_eq!(plan(0, Some(30_000), true), (true, None));
        // No free figure: as asked.
        assert_eq!(plan(0, None, false), (false, None));
        // Short for a full build, enough for lean: lean, said once (not when asked for).
        let (lean, note) = plan(0, Some(6_000), false);
        assert!(lean && note.unwrap().contains("running lean"));
        assert_eq!(plan(0, Some(6_000), true), (true, None));
        // What target/ holds counts as room.
        assert_eq!(plan(4_000, Some(3_500), false), (false, None));
        // Too short even for lean: a warning, asked or not.
        for asked in [false, true] {
            let (lean, note) = plan(0, Some(2_500), asked);
            assert!(lean && note.unwrap().contains("No space left"));
        }
    }

    #[test]
    fn a_full_disk_is_named_only_when_the_output_says_so() {
        let target = std::env::temp_dir().join(format!("xtask-full-{}", std::process::id()));
        std::fs::create_dir_all(&target).unwrap();
        let full = ["error: failed to build archive: No space left on device (os error 28)".into()];
        let hint = full_disk_hint(&full, &target).expect("named");
        assert!(
            hint.contains("The disk is full") && hint.contains("MB free"),
            "{hint}"
        );
        assert_eq!(
            full_disk_hint(&["error[E0308]: mismatched types".into()], &target),
            None
        );
    }
}
