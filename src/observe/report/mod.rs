//! An observer of records (`observe/mod.rs`): `--report FORMAT=FILE`, the
//! run's verdict for CI — JUnit XML (`junit.rs`) or Markdown (`markdown.rs`).
//!
//! Each format streams: it sees every record once and keeps only counters
//! and a bounded amount of text (JUnit spools its test cases to a temporary
//! file beside FILE; Markdown keeps the first rows of its table), so a list
//! of millions of URLs costs no more memory than a short one.
//!
//! FILE appears whole or not at all: at the end the report is written to a
//! temporary file in FILE's directory and renamed over FILE. After SIGINT or
//! SIGTERM the process has [`crate::signals::SIGNAL_GRACE`] to exit; a
//! report that cannot be finished within [`REPORT_GRACE`] of the signal is
//! skipped, with one line on stderr, rather than left half-written.

pub mod junit;
pub mod markdown;

use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use tempfile::NamedTempFile;

use super::{Observer, RunEnd};
use crate::config::{ReportFormat, ReportSpec};
use crate::record::{ErrorKind, Record};

/// How long after a signal a report may take to be finished: well within
/// the signal grace, leaving time for the summary and the exit.
pub const REPORT_GRACE: Duration = Duration::from_millis(700);

/// Whether a record of `kind` is a skipped test rather than a failed one:
/// the run stopping, or a breaker refusing, says nothing about the URL.
pub fn is_skipped(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::Cancelled | ErrorKind::CircuitOpen)
}

/// One format's streaming state.
trait Format {
    /// Takes one record in.
    fn record(&mut self, record: &Record) -> io::Result<()>;

    /// Writes the whole report to `out`, checking `budget` as it goes.
    fn finish(&mut self, end: &RunEnd<'_>, out: &mut dyn Write, budget: &Budget) -> io::Result<()>;
}

/// The time a report has left to be finished; unlimited unless a signal
/// stopped the run.
pub struct Budget {
    deadline: Option<Instant>,
}

impl Budget {
    /// The budget of a run that ended as `end` says.
    pub fn of(end: &RunEnd<'_>) -> Budget {
        let deadline = match (end.stopped, end.stopped_at) {
            (Some(reason), Some(at)) if reason.is_signal() => Some(at + REPORT_GRACE),
            _ => None,
        };
        Budget { deadline }
    }

    /// A budget that has run out, or none at all, for tests.
    pub fn until(deadline: Option<Instant>) -> Budget {
        Budget { deadline }
    }

    /// An error once the time is up.
    pub fn check(&self) -> io::Result<()> {
        match self.deadline {
            Some(d) if Instant::now() >= d => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "not finished within the one-second exit after the signal",
            )),
            _ => Ok(()),
        }
    }
}

/// Checks, before any request, that FILE can be written the way it will
/// be: a temporary file in its directory, renamed over it.
pub fn check_writable(path: &Path) -> io::Result<()> {
    if path.is_dir() {
        return Err(io::Error::other("it is a directory"));
    }
    NamedTempFile::new_in(dir_of(path)).map(drop)
}

fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Every `--report` of the run, as one observer.
#[derive(Default)]
pub struct Reports {
    open: Vec<(ReportSpec, Box<dyn Format>, bool)>,
    failed: bool,
}

impl Reports {
    /// Starts every report (JUnit's spool file is created here, so a
    /// directory that went away is a setup error before any request).
    pub fn open(specs: &[ReportSpec]) -> io::Result<Reports> {
        let mut open = Vec::with_capacity(specs.len());
        for spec in specs {
            let format: Box<dyn Format> = match spec.format {
                ReportFormat::Junit => match junit::Junit::new(dir_of(&spec.path)) {
                    Ok(junit) => Box::new(junit),
                    Err(e) => {
                        let message = format!("cannot write --report {spec}: {e}");
                        return Err(io::Error::new(e.kind(), message));
                    }
                },
                ReportFormat::Markdown => Box::new(markdown::Markdown::default()),
            };
            open.push((spec.clone(), format, true));
        }
        Ok(Reports {
            open,
            failed: false,
        })
    }

    /// Whether a report could not be written (said on stderr already).
    pub fn failed(&self) -> bool {
        self.failed
    }
}

impl Observer for Reports {
    fn record(&mut self, record: &Record) {
        for (spec, format, healthy) in self.open.iter_mut().filter(|o| o.2) {
            if let Err(e) = format.record(record) {
                say(&format!("cannot write --report {spec}: {e}"));
                *healthy = false;
                self.failed = true;
            }
        }
    }

    fn finish(&mut self, end: &RunEnd<'_>) {
        let budget = Budget::of(end);
        for (spec, format, healthy) in self.open.iter_mut().filter(|o| o.2) {
            *healthy = false;
            match write_aside(&spec.path, |out| format.finish(end, out, &budget)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                    say(&format!("--report {spec} skipped: {e}"));
                    self.failed = true;
                }
                Err(e) => {
                    say(&format!("cannot write --report {spec}: {e}"));
                    self.failed = true;
                }
            }
        }
    }
}

/// Writes a file whole: to a temporary file beside `path`, renamed over it
/// only once `write` succeeded. On error the temporary file is removed.
pub fn write_aside(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".fanout-report-");
    // Readable like any file the user creates (the umask applies), not
    // only by its owner as temporary files are.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let tmp = builder.tempfile_in(dir_of(path))?;
    let mut out = BufWriter::with_capacity(256 * 1024, tmp);
    write(&mut out)?;
    let tmp = out.into_inner().map_err(io::IntoInnerError::into_error)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// One line on stderr, like `exit::say` (which this room may not import).
fn say(message: &str) {
    let _ = writeln!(io::stderr().lock(), "fanout: {message}");
}

/// Drops the characters XML 1.0 cannot carry at all (control characters
/// other than tab, LF and CR; U+FFFE and U+FFFF); escaping cannot save them.
pub fn xml_safe(s: &str) -> std::borrow::Cow<'_, str> {
    let illegal = |c: char| matches!(c, '\0'..='\x08' | '\x0b' | '\x0c' | '\x0e'..='\x1f' | '\u{fffe}' | '\u{ffff}');
    if s.contains(illegal) {
        s.chars()
            .filter(|c| !illegal(*c))
            .collect::<String>()
            .into()
    } else {
        s.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_grace_fits_in_the_signal_grace() {
        assert!(REPORT_GRACE < crate::signals::SIGNAL_GRACE);
    }

    #[test]
    fn illegal_xml_characters_are_dropped() {
        assert_eq!(xml_safe("a\u{0}b\u{1b}c\td\ne\rf\u{ffff}"), "abc\td\ne\rf");
        assert!(matches!(xml_safe("plain"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn a_file_is_replaced_whole_or_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.txt");
        std::fs::write(&path, "old").unwrap();
        let failed = write_aside(&path, |out| {
            out.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        write_aside(&path, |out| out.write_all(b"new")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn unwritable_places_are_found_up_front() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_writable(&dir.path().join("r.xml")).is_ok());
        assert!(check_writable(dir.path()).is_err());
        assert!(check_writable(&dir.path().join("missing/r.xml")).is_err());
    }

    #[test]
    fn a_spent_budget_says_so() {
        assert!(Budget::until(None).check().is_ok());
        let spent = Budget::until(Some(Instant::now()));
        assert_eq!(spent.check().unwrap_err().kind(), io::ErrorKind::TimedOut);
    }
}

/// The records both formats' pins are checked against.
#[cfg(test)]
pub(crate) mod tests_support {
    use std::time::Duration;

    use super::RunEnd;
    use crate::config::Config;
    use crate::gates::Gates;
    use crate::record::{ErrorKind, Record};
    use crate::stop::StopReason;

    fn failed(index: u64, url: &str, kind: ErrorKind, message: &str, ms: u64) -> Record {
        let mut r = Record::without_request(index, url.into(), kind, message.into());
        r.elapsed_ms = Duration::from_millis(ms);
        r
    }

    /// One ok record, two failures (one with a hostile URL), a circuit-open
    /// and a cancelled one (with a control character in its URL).
    pub(crate) fn fixed_records() -> Vec<Record> {
        let mut ok = failed(0, "http://a.example/ok", ErrorKind::Other, "", 12);
        ok.error = None;
        ok.ok = true;
        ok.status = Some(200);
        let hostile = r#"http://a.example/x?q="<b>"&r=1"#;
        let mut status = failed(
            1,
            hostile,
            ErrorKind::Status,
            "503 Service Unavailable <html>",
            250,
        );
        status.status = Some(503);
        vec![
            ok,
            status,
            failed(
                2,
                "not a url",
                ErrorKind::InvalidUrl,
                "relative URL without a base",
                0,
            ),
            failed(
                3,
                "https://b.example:8443/",
                ErrorKind::CircuitOpen,
                "circuit open",
                0,
            ),
            failed(
                4,
                "http://c.example/bell\u{7}",
                ErrorKind::Cancelled,
                "interrupted (SIGINT)",
                1000,
            ),
        ]
    }

    /// Calls `f` with the end of a run that read 7 URLs and was interrupted
    /// after 1.5 s.
    pub(crate) fn end_of<T>(f: impl FnOnce(&RunEnd<'_>) -> T) -> T {
        let gates = Gates::new(&Config::default());
        f(&RunEnd {
            elapsed: Duration::from_millis(1500),
            stopped: Some(StopReason::Interrupt),
            stopped_at: None,
            read: 7,
            gates: &gates,
            hosts: None,
        })
    }
}
