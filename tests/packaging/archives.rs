//! The archives `packaging/archive.sh` makes hold `packaging/layout.txt`
//! under one top directory, and what they hold works.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::support::*;

/// The files (not directories) an archive lists.
fn listing(archive: &Path) -> BTreeSet<String> {
    let name = archive.display().to_string();
    let out = if name.ends_with(".zip") {
        Command::new("unzip").arg("-Z1").arg(archive).output()
    } else {
        Command::new("tar").arg("-tzf").arg(archive).output()
    }
    .unwrap();
    assert!(out.status.success(), "{name}: {}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .filter(|l| !l.ends_with('/'))
        .map(String::from)
        .collect()
}

fn expected(t: &Target) -> BTreeSet<String> {
    let mut files = layout();
    files[0].push_str(t.exe());
    files.iter().map(|f| format!("{}/{f}", t.top())).collect()
}

#[test]
fn every_archive_holds_the_documented_layout() {
    let Some(release) = release() else {
        eprintln!("this machine is not a release target: nothing to check");
        return;
    };
    let mut checked = 0;
    for t in targets() {
        let archive = release.join(t.asset());
        if t.archive == "zip" && !archive.exists() {
            // No zip tool here; .ci/run installs one, so CI checks it.
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must be able to make {}",
                t.asset()
            );
            eprintln!("no zip or 7z: {} not checked", t.asset());
            continue;
        }
        assert_eq!(listing(&archive), expected(&t), "{}", t.asset());
        checked += 1;
    }
    assert!(checked >= 4, "{checked}");

    // SHA256SUMS names every archive, one line each, in sha256sum's format.
    let sums = std::fs::read_to_string(release.join("SHA256SUMS")).unwrap();
    let named: BTreeSet<&str> = sums
        .lines()
        .map(|l| {
            let (hash, name) = l.split_once("  ").unwrap_or_else(|| panic!("{l:?}"));
            assert!(
                hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
                "{l:?}"
            );
            name
        })
        .collect();
    let archives: BTreeSet<String> = std::fs::read_dir(release)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "SHA256SUMS")
        .collect();
    assert_eq!(named, archives.iter().map(String::as_str).collect());
}

#[test]
fn the_archive_holds_a_working_binary_its_docs_and_completions() {
    let Some(release) = release() else {
        return;
    };
    let host = host().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("tar")
        .arg("-xzf")
        .arg(release.join(host.asset()))
        .arg("-C")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let top = dir.path().join(host.top());

    let bin = top.join("fanout");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&bin).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o755);
    let version = Command::new(&bin).arg("--version").output().unwrap();
    assert_eq!(text(&version.stdout).trim(), format!("fanout {VERSION}"));

    for file in ["README.md", "LICENSE-MIT", "LICENSE-APACHE"] {
        assert_eq!(
            std::fs::read(top.join(file)).unwrap(),
            std::fs::read(path(file)).unwrap(),
            "{file}"
        );
    }
    let read = |f: &str| std::fs::read_to_string(top.join(f)).unwrap();
    assert!(read("completions/fanout.bash").contains("complete -F _fanout"));
    assert!(read("completions/_fanout").starts_with("#compdef fanout"));
    assert!(read("completions/fanout.fish").contains("complete -c fanout"));
    assert!(read("man/fanout.1").contains(".TH fanout 1"));
    for (f, option) in [
        ("completions/fanout.bash", "--concurrency"),
        ("completions/_fanout", "--concurrency"),
        ("completions/fanout.fish", "-l concurrency"),
    ] {
        assert!(read(f).contains(option), "{f}");
    }
}
