//! The shared list, read the way the scripts read it, and (on unix) the
//! release directory the installer tests install from.

use std::path::{Path, PathBuf};

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One line of `packaging/targets.txt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub target: String,
    pub os: String,
    pub arch: String,
    pub archive: String,
    pub runner: String,
}

impl Target {
    /// The release asset's file name.
    pub fn asset(&self) -> String {
        format!("fanout-{VERSION}-{}.{}", self.target, self.archive)
    }

    /// The archive's top directory.
    pub fn top(&self) -> String {
        format!("fanout-{VERSION}-{}", self.target)
    }

    pub fn exe(&self) -> &'static str {
        if self.os == "windows" { ".exe" } else { "" }
    }
}

pub fn path(rel: &str) -> PathBuf {
    Path::new(ROOT).join(rel)
}

pub fn read(rel: &str) -> String {
    std::fs::read_to_string(path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The lines of a list file, without comments and blank lines.
fn entries(rel: &str) -> Vec<String> {
    read(rel)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

pub fn targets() -> Vec<Target> {
    let targets: Vec<Target> = entries("packaging/targets.txt")
        .iter()
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(f.len(), 5, "packaging/targets.txt: {line:?}");
            Target {
                target: f[0].into(),
                os: f[1].into(),
                arch: f[2].into(),
                archive: f[3].into(),
                runner: f[4].into(),
            }
        })
        .collect();
    assert!(!targets.is_empty());
    targets
}

/// The paths inside an archive's top directory; the binary first.
pub fn layout() -> Vec<String> {
    entries("packaging/layout.txt")
}

#[cfg(unix)]
pub use unix::*;

#[cfg(unix)]
mod unix {
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output};
    use std::sync::OnceLock;

    use super::*;

    pub const FANOUT: &str = env!("CARGO_BIN_EXE_fanout");

    /// Runs a script of `packaging/` with bash and the given environment,
    /// none of the GitHub Actions variables of the machine running the
    /// tests, and `stubs` (curl and wget that fail) first on PATH.
    pub fn script(name: &str, args: &[&str], env: &[(&str, &Path)], stubs: &Path) -> Output {
        let mut cmd = Command::new("bash");
        cmd.arg(path(&format!("packaging/{name}"))).args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("GITHUB_") || k.starts_with("FANOUT_") || k.starts_with("RUNNER_") {
                cmd.env_remove(k);
            }
        }
        let path = std::env::var("PATH").unwrap_or_default();
        cmd.env("PATH", format!("{}:{path}", stubs.display()));
        cmd.env_remove("RUST_LOG");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    /// A directory with `curl` and `wget` that log their call to
    /// `called` beside them and fail.
    pub fn stubs(dir: &Path) -> PathBuf {
        let bin = dir.join("stubs");
        std::fs::create_dir_all(&bin).unwrap();
        for name in ["curl", "wget", "cargo"] {
            write_exe(
                &bin.join(name),
                &format!("#!/bin/sh\necho \"{name} $*\" >>\"$(dirname \"$0\")/called\"\nexit 1\n"),
            );
        }
        bin
    }

    /// What the stubs were asked to do, if anything.
    pub fn stub_calls(stubs: &Path) -> String {
        std::fs::read_to_string(stubs.join("called")).unwrap_or_default()
    }

    pub fn write_exe(path: &Path, text: &str) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(path, text).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    pub fn text(bytes: &[u8]) -> String {
        String::from_utf8_lossy(bytes).into_owned()
    }

    /// Whether this machine can make the Windows `.zip` (zip or 7z).
    pub fn can_zip() -> bool {
        ["zip", "7z"].iter().any(|tool| {
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .is_ok_and(|o| o.status.success())
        })
    }

    /// The release target of this machine, as the installer sees it.
    pub fn host() -> Option<Target> {
        let dir = tempfile::tempdir().unwrap();
        let out = script("install.sh", &["--print-target"], &[], &stubs(dir.path()));
        let name = text(&out.stdout).trim().to_string();
        targets().into_iter().find(|t| t.target == name)
    }

    /// A release directory as the release workflow makes it, built once
    /// per test run under the target directory: this machine's archive
    /// from the real binary, every other target's from a stand-in that
    /// says it is the wrong one, and SHA256SUMS. `None` when this machine
    /// is not a release target.
    pub fn release() -> Option<&'static Path> {
        static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
        DIR.get_or_init(|| {
            let host = host()?;
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("packaging-release");
            let _ = std::fs::remove_dir_all(&dir);
            let stage = dir.join("stage");
            std::fs::create_dir_all(&stage).unwrap();
            let out = dir.join("release");
            for t in targets() {
                let binary = if t == host {
                    PathBuf::from(FANOUT)
                } else {
                    if t.archive == "zip" && !can_zip() {
                        continue;
                    }
                    let stand_in = stage.join(&t.target);
                    write_exe(
                        &stand_in,
                        &format!("#!/bin/sh\necho 'wrong archive {}'\n", t.target),
                    );
                    stand_in
                };
                let built = Command::new("bash")
                    .arg(path("packaging/archive.sh"))
                    .args([VERSION, &t.target])
                    .arg(&binary)
                    .arg(&out)
                    .output()
                    .unwrap();
                assert!(
                    built.status.success(),
                    "archive.sh {}: {}",
                    t.target,
                    text(&built.stderr)
                );
                assert_eq!(
                    text(&built.stdout).trim(),
                    out.join(t.asset()).display().to_string()
                );
            }
            let sums = Command::new("bash")
                .arg(path("packaging/checksums.sh"))
                .arg(&out)
                .output()
                .unwrap();
            assert!(
                sums.status.success(),
                "checksums.sh: {}",
                text(&sums.stderr)
            );
            Some(out)
        })
        .as_deref()
    }
}
