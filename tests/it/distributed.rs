//! The recipes in examples/ for spreading a list over machines, run for real
//! on loopback where they can be: GNU parallel, and the Kubernetes Job's
//! shell script; the manifests' YAML is checked for what the README promises.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use axum::Router;
use axum::routing::get;
use yaml_rust2::{Yaml, YamlLoader};

use crate::support::*;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// PATH with the freshly built `fanout` first.
fn path_with_fanout() -> String {
    let bin = assert_cmd::cargo::cargo_bin("fanout");
    let dir = bin.parent().unwrap().display().to_string();
    format!("{dir}:{}", std::env::var("PATH").unwrap_or_default())
}

fn ok_app() -> AppServer {
    AppServer::start(Router::new().route("/{n}", get(|| async { "ok" })))
}

/// url -> how many records it got.
fn count_urls(jsonl: &[u8]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for r in records(jsonl) {
        *counts
            .entry(r["url"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    counts
}

/// GNU parallel (moreutils has a different `parallel`).
#[cfg(target_os = "linux")]
fn have_gnu_parallel() -> bool {
    Command::new("parallel")
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("GNU parallel"))
}

#[test]
#[cfg(target_os = "linux")]
fn gnu_parallel_recipe_covers_the_list_once() {
    if !have_gnu_parallel() {
        // CI installs GNU parallel (.ci/run); elsewhere say why nothing ran.
        assert!(
            std::env::var_os("CI").is_none(),
            "GNU parallel is missing in CI"
        );
        eprintln!("skipped: GNU parallel is not installed");
        return;
    }
    let server = ok_app();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("urls list.txt");
    let urls: Vec<String> = (0..60).map(|i| server.url(&format!("/{i}"))).collect();
    std::fs::write(
        &list,
        urls.iter().map(|u| format!("{u}\n")).collect::<String>(),
    )
    .unwrap();

    let out = Command::new(examples().join("parallel-shards.sh"))
        .arg(&list)
        .arg("4")
        .args(["-c", "8", "--timeout", "5s"])
        .env("PATH", path_with_fanout())
        .env("HOME", dir.path()) // parallel keeps its state under $HOME
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let counts = count_urls(&out.stdout);
    assert_eq!(counts.len(), 60, "every URL has a record");
    assert!(counts.values().all(|&n| n == 1), "no URL twice: {counts:?}");

    // A failing URL makes the recipe fail, with its record still there.
    std::fs::write(
        &list,
        format!("{}\n{}\n", urls[0], server.url("/x/missing")),
    )
    .unwrap();
    let out = Command::new(examples().join("parallel-shards.sh"))
        .arg(&list)
        .arg("3")
        .env("PATH", path_with_fanout())
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(count_urls(&out.stdout).len(), 2);
}

fn load(name: &str) -> Yaml {
    let text = std::fs::read_to_string(examples().join(name)).unwrap();
    let mut docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(docs.len(), 1, "{name} is one YAML document");
    docs.remove(0)
}

#[test]
fn kubernetes_indexed_job_is_well_formed_and_its_script_works() {
    let job = load("k8s-indexed-job.yaml");
    assert_eq!(job["apiVersion"].as_str(), Some("batch/v1"));
    assert_eq!(job["kind"].as_str(), Some("Job"));
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"].as_str(), Some("Indexed"));
    let n = spec["completions"].as_i64().expect("completions");
    assert_eq!(spec["parallelism"].as_i64(), Some(n));
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["restartPolicy"].as_str(), Some("Never"));
    let container = &pod["containers"][0];
    assert_eq!(container["command"][0].as_str(), Some("/bin/sh"));
    let script = container["args"][0]
        .as_str()
        .expect("a shell script")
        .to_owned();
    let shard = format!("--shard \"$((JOB_COMPLETION_INDEX + 1))/{n}\"");
    assert!(
        script.contains(&shard),
        "script must map the index to {shard}: {script}"
    );
    let mounts: Vec<&str> = container["volumeMounts"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|m| m["mountPath"].as_str().unwrap())
        .collect();
    assert_eq!(mounts, ["/data", "/results"]);

    // Run each pod's script here, with the volumes as temporary folders.
    let server = ok_app();
    let dir = tempfile::tempdir().unwrap();
    let (data, results) = (dir.path().join("data"), dir.path().join("results"));
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(&results).unwrap();
    let urls: Vec<String> = (0..40).map(|i| server.url(&format!("/{i}"))).collect();
    std::fs::write(
        data.join("urls.txt"),
        urls.iter().map(|u| format!("{u}\n")).collect::<String>(),
    )
    .unwrap();
    let local = script
        .replace("/data/", &format!("{}/", data.display()))
        .replace("/results/", &format!("{}/", results.display()));
    let run_pod = |index: i64| {
        let status = Command::new("/bin/sh")
            .args(["-c", &local])
            .env("JOB_COMPLETION_INDEX", index.to_string())
            .env("PATH", path_with_fanout())
            .status()
            .unwrap();
        assert!(status.success(), "pod {index} failed");
    };
    for index in 0..n {
        run_pod(index);
    }
    let mut all = Vec::new();
    for index in 0..n {
        all.extend(std::fs::read(results.join(format!("shard-{index}.jsonl"))).unwrap());
    }
    let counts = count_urls(&all);
    assert_eq!(counts.len(), 40);
    assert!(counts.values().all(|&c| c == 1));

    // A retried pod resumes: nothing is done twice.
    let shard0 = results.join("shard-0.jsonl");
    let before = std::fs::read(&shard0).unwrap();
    run_pod(0);
    assert_eq!(std::fs::read(&shard0).unwrap(), before);
}

#[test]
fn github_actions_matrix_matches_its_shard_count() {
    let wf = load("github-actions-shards.yml");
    let job = &wf["jobs"]["check"];
    let shards: Vec<i64> = job["strategy"]["matrix"]["shard"]
        .as_vec()
        .expect("matrix.shard")
        .iter()
        .map(|s| s.as_i64().unwrap())
        .collect();
    let n = shards.len() as i64;
    assert_eq!(shards, (1..=n).collect::<Vec<_>>());
    let runs: Vec<&str> = job["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect();
    let shard = format!("--shard ${{{{ matrix.shard }}}}/{n}");
    assert!(
        runs.iter().any(|r| r.contains(&shard)),
        "no step runs {shard}: {runs:?}"
    );
}

/// Runs a CI step's fanout command with `sh` in `dir`, `fanout` on PATH.
fn run_step(command: &str, dir: &Path) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .env("PATH", path_with_fanout())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// Both reports exist, whole, for a run over `n` URLs.
fn check_reports(dir: &Path, junit: &str, markdown: &str, n: usize) {
    let xml = std::fs::read_to_string(dir.join(junit)).expect("the JUnit report");
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(xml.contains(&format!("tests=\"{n}\"")), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), n, "{xml}");
    let md = std::fs::read_to_string(dir.join(markdown)).expect("the Markdown report");
    assert!(md.contains('|'), "{md}");
}

#[test]
fn github_actions_reports_workflow_runs_as_written() {
    let wf = load("github-actions-reports.yml");
    let steps = wf["jobs"]["check"]["steps"].as_vec().expect("steps");
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    let check = runs
        .iter()
        .find(|r| r.starts_with("fanout "))
        .expect("a fanout step");
    let summary = runs
        .iter()
        .find(|r| r.contains("GITHUB_STEP_SUMMARY"))
        .expect("a summary step");
    assert!(summary.starts_with("cat summary.md"), "{summary}");
    // The summary step runs even when the check fails.
    let summary_step = steps
        .iter()
        .find(|s| s["run"].as_str() == Some(*summary))
        .unwrap();
    assert_eq!(summary_step["if"].as_str(), Some("always()"));

    let server = ok_app();
    let dir = tempfile::tempdir().unwrap();
    let urls: Vec<String> = (0..5).map(|i| server.url(&format!("/{i}"))).collect();
    std::fs::write(dir.path().join("health.txt"), urls.join("\n")).unwrap();
    let out = run_step(check, dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    check_reports(dir.path(), "junit.xml", "summary.md", 5);
    let summary_out = run_step(
        &summary.replace("\"$GITHUB_STEP_SUMMARY\"", "step-summary.md"),
        dir.path(),
    );
    assert!(summary_out.status.success());
    let published = std::fs::read_to_string(dir.path().join("step-summary.md")).unwrap();
    assert_eq!(
        published,
        std::fs::read_to_string(dir.path().join("summary.md")).unwrap()
    );
}

#[test]
fn gitlab_ci_reports_job_runs_as_written() {
    let ci = load("gitlab-ci-reports.yml");
    let job = &ci["health"];
    let script = job["script"].as_vec().expect("script");
    let command = script[0].as_str().expect("a command");
    assert!(command.starts_with("fanout "), "{command}");
    let junit = job["artifacts"]["reports"]["junit"]
        .as_str()
        .expect("artifacts.reports.junit");
    assert_eq!(job["artifacts"]["when"].as_str(), Some("always"));
    assert!(
        command.contains(&format!("--report junit={junit}")),
        "{command}"
    );

    let server = ok_app();
    let dir = tempfile::tempdir().unwrap();
    let urls: Vec<String> = (0..3).map(|i| server.url(&format!("/{i}"))).collect();
    std::fs::write(dir.path().join("health.txt"), urls.join("\n")).unwrap();
    let out = run_step(command, dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    check_reports(dir.path(), junit, "summary.md", 3);
}
