//! An observer of records (`mod.rs`). The live progress line on stderr: URLs done, in flight, ok and failed,
//! the rate, and once the input has been read to its end, the total and an
//! ETA.
//!
//! Only drawn when stderr is a terminal (and not `--no-progress`/`-q`).
//! indicatif throttles drawing and redraws on its own ticker, so a record
//! costs one counter update; the text of the message is rebuilt at most ten
//! times a second.

use std::time::{Duration, Instant};

use std::sync::Arc;
use std::sync::atomic::Ordering;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Observer, RunEnd};
use crate::gates::Gates;
use crate::input::ReadCount;
use crate::record::Record;

/// How often the in-flight/ok/failed message is rebuilt.
const MESSAGE_EVERY: Duration = Duration::from_millis(100);

/// The progress line, or nothing when disabled.
pub struct Progress {
    bar: Option<ProgressBar>,
    gates: Arc<Gates>,
    read: Arc<ReadCount>,
    total_known: bool,
    ok: u64,
    failed: u64,
    started: Instant,
    last_message: Instant,
}

impl Progress {
    /// A progress line on stderr when `enabled`, else a no-op.
    /// `gates` tell what is in flight, `read` how much input was read.
    pub fn new(enabled: bool, gates: Arc<Gates>, read: Arc<ReadCount>) -> Progress {
        let bar = enabled.then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {pos} done  {msg}  {elapsed}")
                    .expect("valid template"),
            );
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        Progress {
            bar,
            gates,
            read,
            total_known: false,
            ok: 0,
            failed: 0,
            started: Instant::now(),
            last_message: Instant::now() - MESSAGE_EVERY,
        }
    }

    /// Counts a finished URL.
    fn finished(&mut self, ok: bool) {
        let Some(bar) = &self.bar else { return };
        let in_flight = self.gates.in_flight();
        if ok {
            self.ok += 1;
        } else {
            self.failed += 1;
        }
        bar.inc(1);
        if self.last_message.elapsed() >= MESSAGE_EVERY {
            self.last_message = Instant::now();
            let secs = self.started.elapsed().as_secs_f64().max(1e-3);
            let rate = (self.ok + self.failed) as f64 / secs;
            bar.set_message(format!(
                "{in_flight} in flight · {} ok · {} failed · {rate:.0}/s",
                self.ok, self.failed
            ));
        }
    }

    /// The input has been read: `total` URLs will run in all.
    fn total_known(&mut self, total: u64) {
        let Some(bar) = &self.bar else { return };
        bar.set_length(total);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {pos}/{len}  {msg}  ETA {eta} {wide_bar}")
                .expect("valid template")
                .progress_chars("=> "),
        );
    }

    /// A handle that hides the line while something else is written to
    /// the terminal.
    pub fn suspender(&self) -> Suspend {
        Suspend(self.bar.clone())
    }

    /// Removes the line, leaving the terminal as it was.
    pub fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Hides the progress line around output to the same terminal.
pub struct Suspend(Option<ProgressBar>);

impl Suspend {
    /// Runs `f` with the line hidden (the records, when stdout is a
    /// terminal too), then draws it again.
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.0 {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }
}

impl Observer for Progress {
    fn record(&mut self, record: &Record) {
        if self.bar.is_none() {
            return;
        }
        self.finished(record.ok);
        if !self.total_known && self.read.finished.load(Ordering::Acquire) {
            self.total_known = true;
            self.total_known(self.read.sent.load(Ordering::Relaxed));
        }
    }

    fn finish(&mut self, _end: &RunEnd<'_>) {
        self.clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
    }
}
