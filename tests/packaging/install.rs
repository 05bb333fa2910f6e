//! `packaging/install.sh`, the Action's installer, against a local
//! release directory: the right archive, SHA-256 checked, nothing
//! downloaded, `cargo install` only when asked.

use std::path::Path;
use std::process::Output;

use crate::support::*;

/// What `uname -s` and `uname -m` say on the machines of each os and arch.
fn unames(os: &str, arch: &str) -> (Vec<&'static str>, Vec<&'static str>) {
    let s = match os {
        "linux" => vec!["Linux"],
        "macos" => vec!["Darwin"],
        "windows" => vec!["MINGW64_NT-10.0-20348", "MSYS_NT-10.0-20348"],
        _ => panic!("{os}"),
    };
    let m = match arch {
        "x86_64" => vec!["x86_64", "amd64"],
        "aarch64" => vec!["aarch64", "arm64"],
        _ => panic!("{arch}"),
    };
    (s, m)
}

#[test]
fn the_installer_picks_the_listed_target_for_each_machine() {
    let dir = tempfile::tempdir().unwrap();
    let stubs = stubs(dir.path());
    for t in targets() {
        let (systems, machines) = unames(&t.os, &t.arch);
        for s in &systems {
            for m in &machines {
                let env = [("FANOUT_OS", Path::new(s)), ("FANOUT_ARCH", Path::new(m))];
                let out = script("install.sh", &["--print-target"], &env, &stubs);
                assert!(out.status.success(), "{s} {m}: {}", text(&out.stderr));
                assert_eq!(text(&out.stdout).trim(), t.target, "{s} {m}");
            }
        }
    }
    for (s, m) in [("FreeBSD", "amd64"), ("Linux", "riscv64")] {
        let env = [("FANOUT_OS", Path::new(s)), ("FANOUT_ARCH", Path::new(m))];
        let out = script("install.sh", &["--print-target"], &env, &stubs);
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            text(&out.stderr).trim(),
            format!("fanout install: no release archive for {s} {m}")
        );
    }
    assert_eq!(stub_calls(&stubs), "");
}

struct Install {
    /// Holds the install directory until the checks are done.
    _dir: tempfile::TempDir,
    out: Output,
    dest: std::path::PathBuf,
    github_path: String,
    github_output: String,
    stub_calls: String,
}

/// Runs the installer from `release` with `extra` environment, into a
/// fresh directory, with the GitHub Actions files it writes to.
fn install(release: &Path, extra: &[(&str, &str)], stubs_dir: Option<&Path>) -> Install {
    let dir = tempfile::tempdir().unwrap();
    let stubs = match stubs_dir {
        Some(s) => s.to_path_buf(),
        None => stubs(dir.path()),
    };
    let dest = dir.path().join("bin");
    let github_path = dir.path().join("github_path");
    let github_output = dir.path().join("github_output");
    let mut env: Vec<(&str, &Path)> = vec![
        ("FANOUT_RELEASE_BASE", release),
        ("FANOUT_INSTALL_DIR", &dest),
        ("GITHUB_PATH", &github_path),
        ("GITHUB_OUTPUT", &github_output),
        ("RUNNER_TEMP", dir.path()),
    ];
    let version = ("FANOUT_VERSION", Path::new(VERSION));
    if !extra.iter().any(|(k, _)| *k == "FANOUT_VERSION") {
        env.push(version);
    }
    env.extend(extra.iter().map(|(k, v)| (*k, Path::new(v))));
    let out = script("install.sh", &[], &env, &stubs);
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    Install {
        github_path: read(&github_path),
        github_output: read(&github_output),
        stub_calls: stub_calls(&stubs),
        out,
        dest,
        _dir: dir,
    }
}

#[test]
fn installs_this_machines_archive_after_checking_it() {
    let Some(release) = release() else { return };
    let run = install(release, &[], None);
    assert!(run.out.status.success(), "{}", text(&run.out.stderr));
    let bin = run.dest.join("fanout");
    assert_eq!(text(&run.out.stdout).trim(), bin.display().to_string());
    // The very binary this checkout built, not a stand-in of another target.
    assert!(std::fs::read(&bin).unwrap() == std::fs::read(FANOUT).unwrap());
    assert_eq!(run.github_path.trim(), run.dest.display().to_string());
    assert_eq!(run.github_output.trim(), format!("bin={}", bin.display()));
    assert_eq!(run.stub_calls, "", "the installer tried to download");

    // A version written with its tag's v is the same version, and without
    // one it is the version of this checkout.
    for version in [format!("v{VERSION}"), String::new()] {
        let run = install(release, &[("FANOUT_VERSION", &version)], None);
        assert!(
            run.out.status.success(),
            "{version:?}: {}",
            text(&run.out.stderr)
        );
        assert!(std::fs::read(run.dest.join("fanout")).unwrap() == std::fs::read(FANOUT).unwrap());
    }
}

/// A copy of the release directory, to spoil.
fn copy_of(release: &Path) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(release).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), copy.path().join(e.file_name())).unwrap();
    }
    copy
}

fn assert_refused(run: &Install, message: &str) {
    assert_eq!(run.out.status.code(), Some(1), "{}", text(&run.out.stderr));
    let stderr = text(&run.out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("fanout install: ") && stderr.contains(message),
        "{stderr}"
    );
    assert!(!run.dest.join("fanout").exists(), "installed anyway");
    assert_eq!(run.github_path, "");
    assert_eq!(
        run.stub_calls, "",
        "the installer tried to download or build"
    );
}

#[test]
fn a_tampered_archive_is_refused() {
    let Some(release) = release() else { return };
    let host = host().unwrap();
    let copy = copy_of(release);
    let archive = copy.path().join(host.asset());
    let mut bytes = std::fs::read(&archive).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&archive, bytes).unwrap();
    // Even with the fallback asked for: a bad checksum is never "no archive".
    let run = install(copy.path(), &[("FANOUT_CARGO_FALLBACK", "true")], None);
    assert_refused(&run, &format!("checksum mismatch for {}", host.asset()));
    assert!(text(&run.out.stderr).contains("refusing to install it"));
}

#[test]
fn an_archive_without_a_checksum_is_refused() {
    let Some(release) = release() else { return };
    let host = host().unwrap();
    let copy = copy_of(release);
    let sums = copy.path().join("SHA256SUMS");
    let kept: String = std::fs::read_to_string(&sums)
        .unwrap()
        .lines()
        .filter(|l| !l.ends_with(&host.asset()))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&sums, kept).unwrap();
    let run = install(copy.path(), &[], None);
    assert_refused(
        &run,
        &format!("SHA256SUMS has no line for {}", host.asset()),
    );

    std::fs::remove_file(&sums).unwrap();
    let run = install(copy.path(), &[], None);
    assert_refused(&run, "cannot get SHA256SUMS");
}

#[test]
fn a_missing_version_or_latest_offline_is_a_clear_error() {
    let Some(release) = release() else { return };
    let run = install(release, &[("FANOUT_VERSION", "9.9.9")], None);
    assert_refused(&run, "cannot get fanout-9.9.9-");
    assert!(text(&run.out.stderr).contains("set cargo-fallback: true"));
    let run = install(release, &[("FANOUT_VERSION", "latest")], None);
    assert_refused(&run, "version latest needs the network");
}

#[test]
fn cargo_install_only_when_asked() {
    let Some(release) = release() else { return };
    let env = [("FANOUT_OS", "FreeBSD"), ("FANOUT_ARCH", "amd64")];
    let run = install(release, &env, None);
    assert_refused(
        &run,
        "no release archive for FreeBSD amd64 (set cargo-fallback: true",
    );

    // Asked: cargo install of that version, into the install directory.
    let dir = tempfile::tempdir().unwrap();
    let stubs = stubs(dir.path());
    write_exe(
        &stubs.join("cargo"),
        &format!(
            "#!/bin/sh\necho \"cargo $*\" >>\"$(dirname \"$0\")/called\"\n\
             while [ \"$1\" != --root ]; do shift; done\n\
             mkdir -p \"$2/bin\" && cp '{FANOUT}' \"$2/bin/fanout\"\n"
        ),
    );
    let env = [
        ("FANOUT_OS", "FreeBSD"),
        ("FANOUT_ARCH", "amd64"),
        ("FANOUT_CARGO_FALLBACK", "true"),
    ];
    let run = install(release, &env, Some(&stubs));
    assert!(run.out.status.success(), "{}", text(&run.out.stderr));
    let calls: Vec<&str> = run.stub_calls.lines().collect();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(
        calls[0].starts_with("cargo install --locked --root "),
        "{calls:?}"
    );
    assert!(
        calls[0].ends_with(&format!(" fanout --version ={VERSION}")),
        "{calls:?}"
    );
    assert!(run.dest.join("fanout").exists());
    assert_eq!(run.github_path.trim(), run.dest.display().to_string());
}

#[test]
fn by_default_the_archive_comes_from_the_actions_own_github_release() {
    let Some(host) = host() else { return };
    let dir = tempfile::tempdir().unwrap();
    let stubs = stubs(dir.path());
    let dest = dir.path().join("bin");
    // As a Windows runner writes it; the repository is the action's.
    let action = Path::new(r"D:\a\_actions\OWNER\fanout\v1.2.3");
    let mut env = vec![
        ("GITHUB_ACTION_PATH", action),
        ("FANOUT_VERSION", Path::new("1.2.3")),
        ("FANOUT_INSTALL_DIR", &dest),
        ("RUNNER_TEMP", dir.path()),
    ];
    let out = script("install.sh", &[], &env, &stubs);
    let base = "https://github.com/OWNER/fanout/releases/download/v1.2.3";
    let asset = format!("fanout-1.2.3-{}.{}", host.target, host.archive);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "fanout install: cannot get {asset} from {base} (set cargo-fallback: true to build it with cargo install instead)\n"
        )
    );
    // curl is a stub that fails: it was asked for the asset, nothing else.
    let calls = stub_calls(&stubs);
    assert_eq!(calls.lines().count(), 1, "{calls}");
    assert!(calls.starts_with("curl -fsSL --retry 3 -o "), "{calls}");
    assert!(
        calls.trim_end().ends_with(&format!(" {base}/{asset}")),
        "{calls}"
    );

    // latest: the release the latest-release page redirects to, no API.
    std::fs::remove_file(stubs.join("called")).unwrap();
    env[1] = ("FANOUT_VERSION", Path::new("latest"));
    let out = script("install.sh", &[], &env, &stubs);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "fanout install: cannot find the latest release of OWNER/fanout\n"
    );
    let calls = stub_calls(&stubs);
    assert_eq!(calls.lines().count(), 1, "{calls}");
    assert!(
        calls.contains(" -fsSLI ")
            && calls
                .trim_end()
                .ends_with(" https://github.com/OWNER/fanout/releases/latest"),
        "{calls}"
    );
}
