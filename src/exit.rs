//! How a run ends: what it did ([`Report`]), what went wrong around it
//! ([`RunError`]), what is printed and written at the end ([`Finish`]), and
//! the one decision of the process's exit status ([`Exit`]). `main.rs` only
//! maps the result to an `ExitCode`.

use std::io::{self, Write};
use std::path::PathBuf;

use crate::config::FailOn;
use crate::observe::Summary;
use crate::stop::StopReason;

/// The one-line usage error when there is nothing to fetch.
pub const NO_URLS: &str =
    "no URLs to fetch; give them as arguments, with -i FILE, or one per line on stdin";

/// What a run did, for the exit status.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Accepted input lines (URLs read, valid or not, before any filter);
    /// only known when the input was read to its end.
    pub urls: u64,
    /// Counts, rates and latencies (also why the run stopped early).
    pub summary: Summary,
    /// A read error that cut the input short.
    pub input_error: Option<String>,
    /// A `--report` could not be written (already said on stderr).
    pub reports_failed: bool,
    /// `--stats` could not be written (already said on stderr).
    pub stats_failed: bool,
    /// `--fail-on`: which records that are not ok fail the run.
    pub fail_on: FailOn,
}

/// The process's exit status, as the README documents it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Every URL started was ok.
    Success,
    /// At least one record is not ok, or the deadline passed.
    Failure,
    /// Usage error, unreadable input, no URLs, or stdout unwritable.
    Usage,
    /// Stopped by SIGINT.
    Interrupted,
    /// Stopped by SIGTERM.
    Terminated,
}

impl Exit {
    /// The numeric status.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::Usage => 2,
            Exit::Interrupted => 130,
            Exit::Terminated => 143,
        }
    }
}

impl Report {
    /// The exit status this run ends with: the one place it is decided.
    pub fn exit(&self) -> Exit {
        // An interruption's status says more than anything else.
        if let Some(signal) = self.summary.stopped.and_then(Exit::signalled) {
            return signal;
        }
        match self.summary.stopped {
            _ if self.input_error.is_some() => Exit::Usage,
            // The input ended with no URL in it. (A run stopped early may
            // not have read to the end; then this says nothing.)
            None if self.urls == 0 => Exit::Usage,
            // CI must not take a missing report or --stats for a passing
            // one.
            _ if self.reports_failed || self.stats_failed => Exit::Usage,
            Some(_) => Exit::Failure,
            None if self.failures() > 0 => Exit::Failure,
            None => Exit::Success,
        }
    }

    /// The records that fail the run, as `--fail-on` counts them (the
    /// rule itself is `FailOn::fails`, record by record, which the summary
    /// applied as it counted).
    fn failures(&self) -> u64 {
        match self.fail_on {
            FailOn::Any => self.summary.failed,
            FailOn::New => self.summary.new_failed,
        }
    }
}

/// Why a run could not complete.
#[derive(Debug)]
pub enum RunError {
    /// The HTTP client could not be set up (bad proxy or CA file).
    Setup(anyhow::Error),
    /// Writing records failed; a closed pipe is `io::ErrorKind::BrokenPipe`.
    Output(io::Error),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Setup(e) => write!(f, "{e:#}"),
            RunError::Output(e) => write!(f, "cannot write records: {e}"),
        }
    }
}

impl std::error::Error for RunError {}

/// What the end of a run prints and writes, as the command line asked.
#[derive(Debug, Default)]
pub struct Finish {
    /// No summary on stderr (`-q`).
    pub quiet: bool,
    /// `--stats FILE`, checked to be writable before any request; written
    /// at the end by the rule of [`crate::files`].
    pub stats: Option<PathBuf>,
}

impl Finish {
    /// Prints the summary, writes `--stats`, reports errors on stderr, and
    /// decides the exit status.
    pub fn conclude(self, result: Result<Report, RunError>) -> Exit {
        let mut report = match result {
            Ok(report) => report,
            // The reader of our output went away (`| head -1`): not an error.
            Err(RunError::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
                return Exit::Success;
            }
            Err(e) => return Exit::usage(&e.to_string()),
        };
        if let Some(e) = &report.input_error {
            say(e);
        } else if report.urls == 0 && report.exit() == Exit::Usage {
            return Exit::usage(NO_URLS);
        }
        if !self.quiet {
            let _ = report.summary.write_text(&mut io::stderr().lock());
        }
        if let Some(path) = self.stats {
            let json = report.summary.to_json();
            let hurry = report.summary.stopped.is_some_and(|r| r.is_signal());
            let written = crate::files::write_whole(&path, hurry, |out| {
                serde_json::to_writer(&mut *out, &json)?;
                writeln!(out)
            });
            if let Err(e) = written {
                say(&format!("cannot write --stats {}: {e}", path.display()));
                report.stats_failed = true;
            }
        }
        report.exit()
    }
}

impl Exit {
    /// The status of a run stopped by a signal (`None` for other reasons).
    pub fn signalled(reason: StopReason) -> Option<Exit> {
        match reason {
            StopReason::Interrupt => Some(Exit::Interrupted),
            StopReason::Terminate => Some(Exit::Terminated),
            StopReason::Deadline | StopReason::MaxFailures(_) => None,
        }
    }

    /// A usage error: says `message` in one line on stderr.
    pub fn usage(message: &str) -> Exit {
        say(message);
        Exit::Usage
    }
}

/// One line on stderr, `fanout: ` first; a closed stderr is ignored rather
/// than a panic.
pub fn say(message: &str) {
    let _ = writeln!(io::stderr().lock(), "fanout: {message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(urls: u64, failed: u64, stopped: Option<StopReason>) -> Report {
        let mut summary = Summary::default();
        summary.records = urls;
        summary.ok = urls - failed;
        summary.failed = failed;
        summary.stopped = stopped;
        Report {
            urls,
            summary,
            input_error: None,
            reports_failed: false,
            stats_failed: false,
            fail_on: FailOn::Any,
        }
    }

    #[test]
    fn exit_statuses() {
        assert_eq!(report(3, 0, None).exit(), Exit::Success);
        assert_eq!(report(3, 1, None).exit(), Exit::Failure);
        assert_eq!(report(0, 0, None).exit(), Exit::Usage);
        assert_eq!(
            report(3, 0, Some(StopReason::Deadline)).exit(),
            Exit::Failure
        );
        assert_eq!(
            report(3, 1, Some(StopReason::MaxFailures(1))).exit(),
            Exit::Failure
        );
        assert_eq!(report(3, 0, Some(StopReason::Interrupt)).exit().code(), 130);
        assert_eq!(report(3, 1, Some(StopReason::Terminate)).exit().code(), 143);
        let mut r = report(3, 0, None);
        r.input_error = Some("cannot read".into());
        assert_eq!(r.exit(), Exit::Usage);
        for failed in [0, 1] {
            let mut r = report(3, failed, None);
            r.reports_failed = true;
            assert_eq!(r.exit(), Exit::Usage, "a report that is missing");
            let mut r = report(3, failed, Some(StopReason::Interrupt));
            r.stats_failed = true;
            assert_eq!(r.exit(), Exit::Interrupted, "a signal says more");
        }
    }

    #[test]
    fn fail_on_new_fails_only_on_new_failures() {
        let mut r = report(3, 2, None);
        r.fail_on = FailOn::New;
        assert_eq!(r.exit(), Exit::Success, "old failures do not fail the run");
        r.summary.new_failed = 1;
        assert_eq!(r.exit(), Exit::Failure);
        let mut r = report(3, 0, Some(StopReason::Deadline));
        r.fail_on = FailOn::New;
        assert_eq!(r.exit(), Exit::Failure, "the deadline as always");
        r.summary.stopped = Some(StopReason::Interrupt);
        assert_eq!(r.exit(), Exit::Interrupted);
    }

    #[test]
    fn a_closed_stdout_is_success() {
        let gone = io::Error::from(io::ErrorKind::BrokenPipe);
        let exit = Finish::default().conclude(Err(RunError::Output(gone)));
        assert_eq!(exit, Exit::Success);
    }
}
