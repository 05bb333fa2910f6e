//! An observer of records (`observe/mod.rs`): `--report FORMAT=FILE`, the
//! run's verdict for CI — JUnit XML (`junit.rs`) or Markdown (`markdown.rs`).
//!
//! Each format streams: it sees every record once and keeps only counters
//! and a bounded amount of text (JUnit spools its test cases to a temporary
//! file beside FILE; Markdown keeps the first rows of its table), so a list
//! of millions of URLs costs no more memory than a short one.
//!
//! FILE is written at the end by the rule of `crate::files`: a regular
//! FILE appears whole or not at all (written aside and renamed over it), a
//! device or FIFO is written through, a link is followed. After SIGINT or
//! SIGTERM the process has [`crate::signals::SIGNAL_GRACE`] to exit; a
//! report that cannot be finished within [`REPORT_GRACE`] of the signal is
//! skipped, with one line on stderr, rather than left half-written.

pub mod junit;
pub mod markdown;

use std::io::{self, Write};
use std::time::{Duration, Instant};

use super::{Observer, RunEnd};
use crate::config::{ReportFormat, ReportSpec};
use crate::files;
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

    /// Whether the report must be finished soon (a signal stopped the run).
    pub fn hurried(&self) -> bool {
        self.deadline.is_some()
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
                ReportFormat::Junit => match junit::Junit::new(&files::spool_dir(&spec.path)) {
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
            let hurried = budget.hurried();
            match files::write_whole(&spec.path, hurried, |out| format.finish(end, out, &budget)) {
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
