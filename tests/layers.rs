//! The source's modules import downwards only: inside each folder of `src/`, the `use super::…`
//! edges between sibling files form no cycle, and neither do the `crate::…` edges between the
//! top-level modules of `src/` (a cycle is where the next reader gets lost). And the source
//! stays in small pieces: no file over 400 lines, no function over 80 without a one-line reason.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Sibling modules named after `super::` anywhere in `source`'s code (`use super::{a, b::C}`
/// and `super::d::f()` name a, b and d; comments, doc links included, are not imports).
fn siblings_used(source: &str, names: &BTreeSet<String>) -> BTreeSet<String> {
    modules_used(source, "super::", names)
}

/// Modules of `names` named after `prefix` (`super::` or `crate::`) in `source`'s code.
fn modules_used(source: &str, prefix: &str, names: &BTreeSet<String>) -> BTreeSet<String> {
    let code: String = source
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let source = code.as_str();
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        let s = s.trim_start();
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in source.match_indices(prefix) {
        let rest = &source[i + prefix.len()..];
        let heads: Vec<String> = match rest.strip_prefix('{') {
            // Top-level items of the group: the identifier after `{` and after each `,` at depth 0.
            Some(group) => {
                let (mut depth, mut heads, mut start) = (0usize, Vec::new(), 0usize);
                for (j, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => {
                            heads.push(ident(&group[start..j]));
                            break;
                        }
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            heads.push(ident(&group[start..j]));
                            start = j + 1;
                        }
                        _ => {}
                    }
                }
                heads
            }
            None => vec![ident(rest)],
        };
        out.extend(heads.into_iter().filter(|h| names.contains(h)));
    }
    out
}

/// The first cycle in `graph`, as a path, if any.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == n) {
            let mut c = path[i..].to_vec();
            c.push(n.to_string());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for m in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

fn folders(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.push(e.path());
            folders(&e.path(), out);
        }
    }
}

#[test]
fn no_folder_of_src_has_an_import_cycle() {
    let mut dirs = Vec::new();
    folders(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut dirs,
    );
    assert!(dirs.len() >= 6, "src/ has its module folders: {dirs:?}");
    for dir in dirs {
        let files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .collect();
        let names: BTreeSet<String> = files
            .iter()
            .filter_map(|p| Some(p.file_stem()?.to_str()?.to_string()))
            .collect();
        let graph: BTreeMap<String, BTreeSet<String>> = files
            .iter()
            .map(|p| {
                let name = p.file_stem().unwrap().to_str().unwrap().to_string();
                let src = std::fs::read_to_string(p).unwrap();
                let used = siblings_used(&src, &names);
                (name, used)
            })
            .collect();
        if let Some(c) = cycle(&graph) {
            panic!("an import cycle in {}: {}", dir.display(), c.join(" → "));
        }
    }
}

/// Every `.rs` file of a top-level module: `src/NAME.rs` and all under `src/NAME/`.
fn module_files(src: &Path, name: &str) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = [src.join(format!("{name}.rs"))]
        .into_iter()
        .filter(|p| p.exists())
        .collect();
    files.extend(rs_files_under(&src.join(name)));
    files
}

/// Every `.rs` file under `dir`, at any depth (none if it is not a folder).
fn rs_files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let (mut dirs, mut files) = (vec![dir.to_path_buf()], Vec::new());
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                files.push(p);
            }
        }
    }
    files
}

#[test]
fn the_top_level_modules_of_src_have_no_import_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let names: BTreeSet<String> = std::fs::read_dir(&src)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            let stem = p.file_stem()?.to_str()?.to_string();
            let module = p.is_dir() || p.extension().is_some_and(|e| e == "rs");
            (module && !["lib", "bin"].contains(&stem.as_str())).then_some(stem)
        })
        .collect();
    assert!(
        names.len() >= 10,
        "src/ has its top-level modules: {names:?}"
    );
    let graph: BTreeMap<String, BTreeSet<String>> = names
        .iter()
        .map(|name| {
            let mut used = BTreeSet::new();
            for f in module_files(&src, name) {
                used.extend(modules_used(
                    &std::fs::read_to_string(f).unwrap(),
                    "crate::",
                    &names,
                ));
            }
            used.remove(name);
            (name.clone(), used)
        })
        .collect();
    assert!(
        graph["app"].contains("protocol"),
        "the graph sees crate:: imports: {graph:?}"
    );
    if let Some(c) = cycle(&graph) {
        panic!(
            "an import cycle between top-level modules: {}",
            c.join(" → ")
        );
    }
}

#[test]
fn the_cycle_finder_finds_a_cycle_through_crate_paths() {
    let names: BTreeSet<String> = ["device", "settings", "protocol"].map(String::from).into();
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("device", "use crate::settings::DevicePref;"),
        ("settings", "fn f(r: crate::protocol::Role) {}"),
        ("protocol", "use crate::{device::DeviceInfo, train::X};"),
    ]
    .into_iter()
    .map(|(n, s)| (n.to_string(), modules_used(s, "crate::", &names)))
    .collect();
    assert_eq!(
        cycle(&graph).unwrap(),
        ["device", "settings", "protocol", "device"]
    );
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let names: BTreeSet<String> = ["a", "b", "c"].map(String::from).into();
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", "use super::b::X;\nuse crate::z;"),
        ("b", "use super::{c, web};"),
        ("c", "pub use super::{\n    a::Y,\n};"),
    ]
    .into_iter()
    .map(|(n, s)| (n.to_string(), siblings_used(s, &names)))
    .collect();
    assert_eq!(cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
    let mut acyclic = graph.clone();
    acyclic.insert("c".into(), BTreeSet::new());
    assert_eq!(cycle(&acyclic), None);
}

/// Functions of `source` longer than `max` lines (from `fn` to the `}` at its indentation)
/// with no "Over 80" reason in the three lines above them: (name, lines).
fn long_functions(source: &str, max: usize) -> Vec<(String, usize)> {
    let lines: Vec<&str> = source.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        let indent = &l[..l.len() - l.trim_start().len()];
        let head = l.trim_start();
        let head = head.strip_prefix("pub(crate) ").unwrap_or(head);
        let head = head.strip_prefix("pub(super) ").unwrap_or(head);
        let head = head.strip_prefix("pub ").unwrap_or(head);
        let head = head.strip_prefix("async ").unwrap_or(head);
        if let Some(rest) = head.strip_prefix("fn ") {
            let close = format!("{indent}}}");
            let end = (i + 1..lines.len()).find(|&j| lines[j] == close);
            if let Some(end) = end {
                let n = end - i + 1;
                let reason = lines[i.saturating_sub(3)..i]
                    .iter()
                    .any(|p| p.contains("Over 80"));
                if n > max && !reason {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    out.push((name, n));
                }
                i = end;
            }
        }
        i += 1;
    }
    out
}

#[test]
fn source_files_and_functions_stay_short() {
    let mut long = Vec::new();
    for f in rs_files_under(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src")) {
        let text = std::fs::read_to_string(&f).unwrap();
        let n = text.lines().count();
        if n > 400 {
            long.push(format!("{}: {n} lines (at most 400)", f.display()));
        }
        for (name, n) in long_functions(&text, 80) {
            long.push(format!(
                "{}: fn {name} is {n} lines (at most 80, or a one-line \"Over 80 lines: why\" above it)",
                f.display()
            ));
        }
    }
    assert!(long.is_empty(), "{}", long.join("\n"));
}

#[test]
fn the_length_check_sees_a_long_function_and_its_reason() {
    let body = "    x();\n".repeat(85);
    let plain = format!("fn f() {{\n{body}}}\n");
    assert_eq!(long_functions(&plain, 80), [("f".to_string(), 87)]);
    let why = format!("// Over 80 lines: a table.\npub async fn f() {{\n{body}}}\n");
    assert!(long_functions(&why, 80).is_empty());
}

/// The experiment is put together once, in the core's runner (`train/runner.rs`): the shells
/// (the CLI, the worker) neither seed networks nor build trainers.
#[test]
fn the_shells_neither_seed_nor_build_trainers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let calls = ["model::seed(", "Trainer::new("];
    let uses = |module: &str| -> Vec<String> {
        let mut found = Vec::new();
        for f in module_files(&src, module) {
            let text = std::fs::read_to_string(&f).unwrap();
            for call in calls.iter().filter(|c| text.contains(*c)) {
                found.push(format!("{}: {call}", f.display()));
            }
        }
        found
    };
    // The check looks for what the runner really writes.
    let runner = std::fs::read_to_string(src.join("train/runner.rs")).unwrap();
    assert!(
        calls.iter().all(|c| runner.contains(c)),
        "the runner no longer calls {calls:?}: update this check"
    );
    let shells: Vec<String> = ["cli", "worker"].iter().flat_map(|m| uses(m)).collect();
    assert!(
        shells.is_empty(),
        "seeding and building belong to train::runner:\n{}",
        shells.join("\n")
    );
}
