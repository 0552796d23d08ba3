//! The Pages workflow gives each job only the permissions it needs, pins every action by commit,
//! and runs the test suite on pull requests before anything is built or deployed.

fn workflow() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/.github/workflows/pages.yml");
    std::fs::read_to_string(path).expect("the Pages workflow")
}

/// The lines of each job (`jobs:` children at two spaces), by name.
fn jobs(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_jobs = false;
    for line in text.lines() {
        if line.starts_with("jobs:") {
            in_jobs = true;
            continue;
        }
        if !in_jobs || line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix("  ").filter(|l| !l.starts_with(' ')) {
            out.push((name.trim_end_matches(':').to_string(), Vec::new()));
        } else if let Some((_, lines)) = out.last_mut() {
            lines.push(line.trim().to_string());
        }
    }
    out
}

#[test]
fn every_action_is_pinned_by_commit() {
    let text = workflow();
    let uses: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().trim_start_matches("- ").strip_prefix("uses: "))
        .collect();
    assert!(uses.len() >= 6, "{uses:?}");
    for u in uses {
        let (_, rest) = u.split_once('@').expect("an action with a ref");
        let sha = rest.split_whitespace().next().unwrap_or("");
        assert!(
            sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit()),
            "{u}: pin it by its full commit, with the tag in a comment"
        );
    }
}

#[test]
fn permissions_are_per_job_and_least() {
    let text = workflow();
    assert!(
        text.contains("\npermissions: {}\n"),
        "no permissions by default"
    );
    let jobs = jobs(&text);
    let names: Vec<&str> = jobs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["test", "build", "deploy"]);
    for (name, lines) in &jobs {
        let writes: Vec<&String> = lines.iter().filter(|l| l.ends_with(": write")).collect();
        if name == "deploy" {
            let want = ["pages: write", "id-token: write"];
            assert_eq!(writes.len(), 2, "{name}: {writes:?}");
            assert!(writes.iter().all(|w| want.contains(&w.as_str())));
        } else {
            assert!(writes.is_empty(), "{name} writes: {writes:?}");
            assert!(
                lines.iter().any(|l| l == "contents: read"),
                "{name} reads the code"
            );
            assert!(
                lines.iter().any(|l| l == "persist-credentials: false"),
                "{name} keeps no token in .git"
            );
        }
    }
}

#[test]
fn pull_requests_run_the_tests_and_nothing_deploys_untested() {
    let text = workflow();
    assert!(text.lines().any(|l| l.trim() == "pull_request:"));
    let jobs = jobs(&text);
    let job = |n: &str| &jobs.iter().find(|(name, _)| name == n).expect(n).1;
    assert!(job("test").iter().any(|l| l == "run: .ci/run"));
    assert!(job("build").iter().any(|l| l == "needs: test"));
    assert!(job("deploy").iter().any(|l| l == "needs: build"));
    for n in ["build", "deploy"] {
        let guard = "if: github.event_name != 'pull_request'";
        assert!(job(n).iter().any(|l| l == guard), "{n} never runs for a PR");
    }
}
