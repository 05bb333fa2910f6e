//! Observers of finished records: the summary, the metrics endpoint, the
//! progress line and the `--report`s each see every record once, right
//! after it is written.
//!
//! The pipeline knows only the [`Observer`] trait, so a new consumer of
//! records (a report, a statistic) is one more entry in its list.

pub mod hosts;
pub mod metrics;
pub mod progress;
pub mod report;
pub mod summary;

use std::time::{Duration, Instant};

use crate::gates::Gates;
use crate::record::Record;
use crate::stop::StopReason;

pub use self::metrics::Metrics;
pub use self::progress::Progress;
pub use self::summary::Summary;

/// How the run ended, for observers that report on the whole run.
pub struct RunEnd<'a> {
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Why the run stopped early, if it did.
    pub stopped: Option<StopReason>,
    /// When it was stopped: after a signal, whatever finishes must do so
    /// within the signal grace from here.
    pub stopped_at: Option<Instant>,
    /// URLs the input sent to the pipeline (started or not).
    pub read: u64,
    /// The run's gates, for what they counted.
    pub gates: &'a Gates,
    /// The host table, with `--host-stats`.
    pub hosts: Option<&'a hosts::HostStats>,
}

/// Something that wants to see every finished record.
pub trait Observer {
    /// A record was written to stdout.
    fn record(&mut self, record: &Record);

    /// The run ended; no record follows.
    fn finish(&mut self, _end: &RunEnd<'_>) {}
}
