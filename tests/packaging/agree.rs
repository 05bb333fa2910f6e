//! The binstall metadata, the release workflow and the Action agree with
//! `packaging/targets.txt` and `packaging/layout.txt`.

use std::collections::BTreeSet;

use yaml_rust2::{Yaml, YamlLoader};

use crate::support::*;

/// The `key = "string"` pairs of one table of Cargo.toml (enough for the
/// binstall tables, which hold nothing else).
fn manifest_table(name: &str) -> Option<Vec<(String, String)>> {
    let manifest = read("Cargo.toml");
    let mut lines = manifest.lines().map(str::trim);
    lines.find(|l| *l == format!("[{name}]"))?;
    Some(
        lines
            .take_while(|l| !l.starts_with('['))
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (k, v) = l
                    .split_once('=')
                    .unwrap_or_else(|| panic!("Cargo.toml: {l}"));
                let v = v.trim();
                let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"'));
                let v = v.unwrap_or_else(|| panic!("Cargo.toml [{name}]: {l} is not a string"));
                (k.trim().to_string(), v.to_string())
            })
            .collect(),
    )
}

fn get<'a>(table: &'a [(String, String)], key: &str) -> Option<&'a str> {
    table
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// A binstall template filled in the way cargo binstall does.
fn expand(template: &str, t: &Target) -> String {
    template
        .replace("{ repo }", "REPO")
        .replace("{ name }", "fanout")
        .replace("{ version }", VERSION)
        .replace("{ target }", &t.target)
        .replace("{ bin }", "fanout")
        .replace("{ binary-ext }", t.exe())
}

#[test]
fn the_list_is_well_formed() {
    let targets = targets();
    let names: BTreeSet<&str> = targets.iter().map(|t| t.target.as_str()).collect();
    assert_eq!(names.len(), targets.len(), "a target listed twice");
    let machines: BTreeSet<(&str, &str)> = targets
        .iter()
        .map(|t| (t.os.as_str(), t.arch.as_str()))
        .collect();
    assert_eq!(
        machines.len(),
        targets.len(),
        "two targets for one os and arch"
    );
    for t in &targets {
        assert!(
            ["linux", "macos", "windows"].contains(&t.os.as_str()),
            "{t:?}"
        );
        assert!(["x86_64", "aarch64"].contains(&t.arch.as_str()), "{t:?}");
        assert!(t.target.starts_with(&format!("{}-", t.arch)), "{t:?}");
        let archive = if t.os == "windows" { "zip" } else { "tar.gz" };
        assert_eq!(t.archive, archive, "{t:?}");
    }
    // The SPEC's five: static Linux (musl), macOS, Windows.
    assert_eq!(
        names,
        BTreeSet::from([
            "x86_64-unknown-linux-musl",
            "aarch64-unknown-linux-musl",
            "x86_64-apple-darwin",
            "aarch64-apple-darwin",
            "x86_64-pc-windows-msvc",
        ])
    );
    let layout = layout();
    assert_eq!(layout[0], "fanout", "the binary comes first in layout.txt");
    for file in ["README.md", "LICENSE-MIT", "LICENSE-APACHE", "man/fanout.1"] {
        assert!(layout.iter().any(|l| l == file), "layout.txt lacks {file}");
    }
}

#[test]
fn binstall_finds_every_release_archive() {
    let base = manifest_table("package.metadata.binstall").expect("[package.metadata.binstall]");
    for t in targets() {
        let over = manifest_table(&format!("package.metadata.binstall.overrides.{}", t.target));
        let pick = |key: &str| {
            over.as_deref()
                .and_then(|o| get(o, key))
                .or_else(|| get(&base, key))
                .unwrap_or_else(|| panic!("binstall has no {key} for {}", t.target))
        };
        assert_eq!(
            expand(pick("pkg-url"), &t),
            format!("REPO/releases/download/v{VERSION}/{}", t.asset()),
            "{}",
            t.target
        );
        let fmt = if t.archive == "zip" { "zip" } else { "tgz" };
        assert_eq!(pick("pkg-fmt"), fmt, "{}", t.target);
        assert_eq!(
            expand(pick("bin-dir"), &t),
            format!("{}/{}{}", t.top(), layout()[0], t.exe()),
            "{}",
            t.target
        );
    }
    // No override for a target that is not released.
    let names: Vec<String> = targets().into_iter().map(|t| t.target).collect();
    for line in read("Cargo.toml").lines() {
        if let Some(rest) = line
            .trim()
            .strip_prefix("[package.metadata.binstall.overrides.")
        {
            let target = rest.trim_end_matches(']');
            assert!(
                names.iter().any(|n| n == target),
                "override for {target}, not a release target"
            );
        }
    }
}

fn yaml(rel: &str) -> Yaml {
    YamlLoader::load_from_str(&read(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
        .remove(0)
}

#[test]
fn the_release_workflow_builds_every_target_on_its_runner() {
    let workflow = yaml(".github/workflows/release.yml");
    let include = workflow["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_vec()
        .expect("jobs.build.strategy.matrix.include");
    let built: BTreeSet<(String, String)> = include
        .iter()
        .map(|e| {
            let s = |k: &str| {
                e[k].as_str()
                    .unwrap_or_else(|| panic!("{k} in {e:?}"))
                    .to_string()
            };
            (s("target"), s("runner"))
        })
        .collect();
    let listed: BTreeSet<(String, String)> = targets()
        .into_iter()
        .map(|t| (t.target, t.runner))
        .collect();
    assert_eq!(
        built, listed,
        "release.yml's matrix is not packaging/targets.txt"
    );

    let text = read(".github/workflows/release.yml");
    for script in ["packaging/archive.sh", "packaging/checksums.sh"] {
        assert!(text.contains(script), "release.yml does not run {script}");
    }
    let on = &workflow["on"]["push"]["tags"];
    assert_eq!(on[0].as_str(), Some("v*"), "{on:?}");
}

#[test]
fn the_action_installs_with_the_shared_script() {
    let action = yaml("action.yml");
    for input in ["args", "input", "version", "summary"] {
        assert!(
            !action["inputs"][input].is_badvalue(),
            "action.yml lacks input {input}"
        );
    }
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    let runs: Vec<&str> = action["runs"]["steps"]
        .as_vec()
        .expect("runs.steps")
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect();
    assert_eq!(
        runs,
        [
            "bash \"$GITHUB_ACTION_PATH/packaging/install.sh\"",
            "bash \"$GITHUB_ACTION_PATH/packaging/run.sh\""
        ]
    );
    // The installer reads the list itself rather than a copy of it.
    assert!(read("packaging/install.sh").contains("targets.txt"));
}
