//! An observer of records (`mod.rs`). The live progress line on stderr: URLs done, in flight, ok and failed,
//! the rate, and once the input has been read to its end, the total and an
//! ETA.
//!
//! Only drawn when stderr is a terminal (and not `--no-progress`/`-q`).
//! indicatif throttles drawing and redraws on its own ticker, so a record
//! costs a few counter updates. Every number on the line is read when the
//! line is drawn, from the same moment: a message built earlier showed a
//! stale in-flight count beside a newer done count (done + in flight could
//! exceed the total).
//!
//! The line is kept one column short of the terminal: indicatif pads it to
//! the full width, and a full-width line wraps when the terminal echoes
//! `^C`, leaving a stale copy above the records.

use std::time::{Duration, Instant};

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle, TermLike};

use super::{Observer, RunEnd};
use crate::gates::Gates;
use crate::input::ReadCount;
use crate::record::Record;

/// How many times a second the line is drawn at most.
const DRAWS_PER_SECOND: u8 = 10;

/// The progress line, or nothing when disabled.
pub struct Progress {
    bar: Option<ProgressBar>,
    counts: Counts,
    read: Arc<ReadCount>,
    total_known: bool,
}

/// What the line shows besides indicatif's own position, shared with the
/// template keys that read it at each draw.
#[derive(Clone)]
struct Counts {
    gates: Arc<Gates>,
    ok: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
    started: Instant,
}

impl Counts {
    /// `2 in flight · 10 ok · 1 failed · 35/s`, all read now. A URL
    /// leaves the gates before its record is counted, so in flight plus
    /// done never exceeds the URLs read.
    fn write(&self, w: &mut dyn std::fmt::Write) {
        let ok = self.ok.load(Ordering::Relaxed);
        let failed = self.failed.load(Ordering::Relaxed);
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let _ = write!(
            w,
            "{} in flight · {ok} ok · {failed} failed · {:.0}/s",
            self.gates.in_flight(),
            (ok + failed) as f64 / secs
        );
    }

    fn style(&self, template: &str) -> ProgressStyle {
        let counts = self.clone();
        ProgressStyle::with_template(template)
            .expect("valid template")
            .with_key(
                "counts",
                move |_: &ProgressState, w: &mut dyn std::fmt::Write| counts.write(w),
            )
            .with_key("eta", eta)
    }
}

/// indicatif's ETA, but never `0s` while URLs are still to finish: rounded
/// up to whole seconds.
fn eta(state: &ProgressState, w: &mut dyn std::fmt::Write) {
    let left = state.len().is_some_and(|len| state.pos() < len);
    let secs = state.eta().as_secs_f64().ceil() as u64;
    let secs = if left { secs.max(1) } else { secs };
    let _ = write!(
        w,
        "{}",
        humantime::format_duration(Duration::from_secs(secs))
    );
}

/// stderr as indicatif sees it, one column narrower than it is.
#[derive(Debug)]
struct Narrower(console::Term);

impl TermLike for Narrower {
    fn width(&self) -> u16 {
        self.0.size().1.saturating_sub(1).max(1)
    }
    fn height(&self) -> u16 {
        self.0.size().0
    }
    fn move_cursor_up(&self, n: usize) -> io::Result<()> {
        self.0.move_cursor_up(n)
    }
    fn move_cursor_down(&self, n: usize) -> io::Result<()> {
        self.0.move_cursor_down(n)
    }
    fn move_cursor_right(&self, n: usize) -> io::Result<()> {
        self.0.move_cursor_right(n)
    }
    fn move_cursor_left(&self, n: usize) -> io::Result<()> {
        self.0.move_cursor_left(n)
    }
    fn write_line(&self, s: &str) -> io::Result<()> {
        self.0.write_line(s)
    }
    fn write_str(&self, s: &str) -> io::Result<()> {
        self.0.write_str(s)
    }
    fn clear_line(&self) -> io::Result<()> {
        self.0.clear_line()
    }
    fn flush(&self) -> io::Result<()> {
        self.0.flush()
    }
}

impl Progress {
    /// A progress line on stderr when `enabled`, else a no-op.
    /// `gates` tell what is in flight, `read` how much input was read.
    pub fn new(enabled: bool, gates: Arc<Gates>, read: Arc<ReadCount>) -> Progress {
        let counts = Counts {
            gates,
            ok: Arc::default(),
            failed: Arc::default(),
            started: Instant::now(),
        };
        let bar = enabled.then(|| {
            let term = Narrower(console::Term::stderr());
            let target = ProgressDrawTarget::term_like_with_hz(Box::new(term), DRAWS_PER_SECOND);
            let bar = ProgressBar::with_draw_target(None, target);
            bar.set_style(counts.style("{spinner} {pos} done  {counts}  {elapsed}"));
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        Progress {
            bar,
            counts,
            read,
            total_known: false,
        }
    }

    /// Counts a finished URL.
    fn finished(&mut self, ok: bool) {
        let Some(bar) = &self.bar else { return };
        let counter = if ok {
            &self.counts.ok
        } else {
            &self.counts.failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
        bar.inc(1);
    }

    /// The input has been read: `total` URLs will run in all.
    fn total_known(&mut self, total: u64) {
        let Some(bar) = &self.bar else { return };
        bar.set_length(total);
        bar.set_style(
            self.counts
                .style("{spinner} {pos}/{len}  {counts}  ETA {eta} {wide_bar}")
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
