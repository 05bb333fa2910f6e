//! The "Runs that remember" group: fields for the next run (`--timestamps`,
//! `--hash`) and what this run takes from earlier ones (`--skip-ok`,
//! `--revalidate`, `--baseline`, `--fail-on`), resolved into
//! [`Config::remember`](crate::Config::remember) and the input's filters.
//!
//! Every FILE named here, and `--skip-done`'s, is read whole now, before
//! any request (so `>> FILE` may name it too), by the one reader of
//! earlier records (`input::Earlier`); a FILE named by several flags is
//! read once.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

use super::parse;
use crate::config::{FailOn, Remember};
use crate::input::{Earlier, SkipOk, Wants};
use crate::record::Stamp;
use crate::values::Dur;

/// `--help` heading "Runs that remember".
#[derive(Debug, Args)]
pub struct RememberArgs {
    /// Add `started_at`: when the first attempt started (RFC 3339 UTC, ms)
    #[arg(long)]
    pub timestamps: bool,

    /// Add `sha256`: the SHA-256 of the decoded body read whole
    ///
    /// Computed while the body streams, of the bytes `bytes` counts (and -o
    /// saves); null when no whole body was read (transport errors,
    /// too_large, HEAD).
    #[arg(long)]
    pub hash: bool,

    /// Skip URLs whose last record in FILE (earlier output) is ok
    ///
    /// Failures always run again. Implies --timestamps, so `>> FILE` chains
    /// run after run. A skipped URL gets no record.
    #[arg(long, value_name = "FILE")]
    pub skip_ok: Option<PathBuf>,

    /// With --skip-ok: skip only records that started within DUR (e.g. 1d)
    ///
    /// Records without `started_at` are too old.
    #[arg(long, value_name = "DUR", value_parser = parse::duration, allow_hyphen_values = true)]
    pub max_age: Option<Dur>,

    /// Conditional requests from FILE's records (ETag, Last-Modified)
    ///
    /// A URL whose last record in FILE is ok and has an etag or
    /// last-modified header is sent If-None-Match (preferred) or
    /// If-Modified-Since. A 304 answer is ok whatever --accept says, with
    /// status 304 and bytes 0; with -o the file saved earlier is kept, and a
    /// conditional request is sent only while it exists. Records carry
    /// `headers` with etag and last-modified.
    #[arg(long, value_name = "FILE")]
    pub revalidate: Option<PathBuf>,

    /// Add `change`: how each record compares with the URL's last in FILE
    ///
    /// new_url, new_failure, recovered, still_failing, changed (ok both
    /// times, another status or sha256) or unchanged; counted in the
    /// summary, --stats and the Markdown report.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Which failures make the exit status 1: any, or only new ones
    ///
    /// new (needs --baseline): only records that are not ok and whose
    /// change is new_failure or new_url; --max-failures then counts only
    /// those.
    #[arg(long, value_name = "WHICH", value_enum, default_value_t = FailOnArg::Any)]
    pub fail_on: FailOnArg,
}

/// `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    /// Any record that is not ok.
    Any,
    /// Only new failures (needs --baseline).
    New,
}

/// What the input takes from earlier records: `--skip-done`, `--skip-ok`.
#[derive(Default)]
pub(super) struct Skips {
    pub(super) done: Option<Arc<Earlier>>,
    pub(super) ok: Option<SkipOk>,
}

impl RememberArgs {
    /// Reads every FILE (with `--skip-done`'s) and resolves the group.
    pub(super) fn resolve(self, skip_done: Option<&Path>) -> anyhow::Result<(Remember, Skips)> {
        if self.fail_on == FailOnArg::New && self.baseline.is_none() {
            bail!("--fail-on new needs --baseline FILE: new failures are new against it");
        }
        if self.max_age.is_some() && self.skip_ok.is_none() {
            bail!("--max-age needs --skip-ok FILE: it says which of its successes are recent");
        }
        let mut files = Files::default();
        // What each file must keep: the flags that read it say.
        let sha = Wants {
            sha256: self.hash,
            validators: false,
        };
        let validators = Wants {
            sha256: self.hash,
            validators: true,
        };
        let wanted = [
            ("--skip-done", skip_done, Wants::default()),
            ("--skip-ok", self.skip_ok.as_deref(), Wants::default()),
            ("--revalidate", self.revalidate.as_deref(), validators),
            ("--baseline", self.baseline.as_deref(), sha),
        ];
        for (flag, path, wants) in wanted {
            if let Some(path) = path {
                files.want(flag, path, wants);
            }
        }
        files.load()?;
        let skips = Skips {
            done: skip_done.map(|p| files.get(p)),
            ok: self.skip_ok.as_deref().map(|p| SkipOk {
                earlier: files.get(p),
                max_age: self.max_age.map(|d| d.0),
                now: Stamp::now(),
            }),
        };
        let remember = Remember {
            timestamps: self.timestamps || self.skip_ok.is_some(),
            hash: self.hash,
            revalidate: self.revalidate.as_deref().map(|p| files.get(p)),
            baseline: self.baseline.as_deref().map(|p| files.get(p)),
            fail_on: match self.fail_on {
                FailOnArg::Any => FailOn::Any,
                FailOnArg::New => FailOn::New,
            },
        };
        Ok((remember, skips))
    }
}

/// The files of earlier records a run reads, each once, with what every
/// flag naming it wants.
#[derive(Default)]
struct Files {
    /// (path, the first flag naming it, what its flags want, the table).
    files: Vec<(PathBuf, &'static str, Wants, Option<Arc<Earlier>>)>,
}

impl Files {
    fn want(&mut self, flag: &'static str, path: &Path, wants: Wants) {
        match self.files.iter_mut().find(|f| f.0 == path) {
            Some(f) => {
                f.2.sha256 |= wants.sha256;
                f.2.validators |= wants.validators;
            }
            None => self.files.push((path.to_owned(), flag, wants, None)),
        }
    }

    /// Reads each file whole: a missing or unreadable one is a usage error.
    fn load(&mut self) -> anyhow::Result<()> {
        for (path, flag, wants, table) in &mut self.files {
            let what = || format!("cannot read {flag} {}", path.display());
            let file = std::fs::File::open(&*path).with_context(what)?;
            if file.metadata().with_context(what)?.is_dir() {
                bail!("cannot read {flag} {}: is a directory", path.display());
            }
            let reader = std::io::BufReader::with_capacity(256 * 1024, file);
            let earlier = Earlier::load(reader, *wants).with_context(what)?;
            warn_unreadable(flag, path, &earlier);
            *table = Some(Arc::new(earlier));
        }
        Ok(())
    }

    fn get(&self, path: &Path) -> Arc<Earlier> {
        self.files
            .iter()
            .find(|f| f.0 == path)
            .and_then(|f| f.3.clone())
            .unwrap_or_default()
    }
}

/// Tells the user about lines of a FILE that are not records; a torn last
/// line is what a crash mid-write leaves, so it is expected.
fn warn_unreadable(flag: &str, path: &Path, earlier: &Earlier) {
    let Some(first) = earlier.first_unreadable else {
        return;
    };
    let what = if earlier.unreadable == 1 && first == earlier.lines {
        format!("ignoring a torn last line (line {first})")
    } else {
        format!(
            "ignoring {} lines that are not records (first: line {first})",
            earlier.unreadable
        )
    };
    let then = match flag {
        "--skip-done" | "--skip-ok" => "those URLs will run again",
        _ => "those records are not compared",
    };
    crate::exit::say(&format!(
        "warning: {flag} {}: {what}; {then}",
        path.display()
    ));
}
