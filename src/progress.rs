//! The live progress line on stderr: URLs done, in flight, ok and failed,
//! the rate, and once the input has been read to its end, the total and an
//! ETA.
//!
//! Only drawn when stderr is a terminal (and not `--no-progress`/`-q`).
//! indicatif throttles drawing and redraws on its own ticker, so a record
//! costs one counter update; the text of the message is rebuilt at most ten
//! times a second.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often the in-flight/ok/failed message is rebuilt.
const MESSAGE_EVERY: Duration = Duration::from_millis(100);

/// The progress line, or nothing when disabled.
pub struct Progress {
    bar: Option<ProgressBar>,
    ok: u64,
    failed: u64,
    started: Instant,
    last_message: Instant,
}

impl Progress {
    /// A progress line on stderr when `enabled`, else a no-op.
    pub fn new(enabled: bool) -> Progress {
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
            ok: 0,
            failed: 0,
            started: Instant::now(),
            last_message: Instant::now() - MESSAGE_EVERY,
        }
    }

    /// Counts a finished URL; `in_flight` is how many are still running.
    pub fn finished(&mut self, ok: bool, in_flight: u64) {
        let Some(bar) = &self.bar else { return };
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
    pub fn total_known(&mut self, total: u64) {
        let Some(bar) = &self.bar else { return };
        bar.set_length(total);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {pos}/{len}  {msg}  ETA {eta} {wide_bar}")
                .expect("valid template")
                .progress_chars("=> "),
        );
    }

    /// Runs `f` with the line hidden, for output to the same terminal (the
    /// records, when stdout is a terminal too), then draws it again.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    /// Removes the line, leaving the terminal as it was.
    pub fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
    }
}
