//! fanout fetches many URLs at once, politely and predictably, and writes one
//! result record per URL.
//!
//! The binary (`src/main.rs`) is a thin shell around this library: it parses
//! the command line into a [`Config`] and an [`Input`], builds a runtime and
//! calls [`run`]. Tests and the demo call [`run`] in-process the same way.
//!
//! # Layout
//!
//! The modules follow the flow of data, input → fetch → output:
//!
//! - [`cli`]: the command line as the user typed it; `Cli::into_config()`
//!   validates it into the library's types.
//! - [`config`]: the typed, validated [`Config`], its defaults and the
//!   parsers for durations, sizes and status lists.
//! - [`input`]: URL sources (arguments, files, stdin) read on their own thread
//!   as one lazy, bounded stream of [`input::Item`]s.
//! - [`fdlimit`]: fanout's own limit on open files: raise it, fit `-c`
//!   into it.
//! - [`limit`]: politeness: per-host limits and the request rate.
//! - [`breaker`]: protection: per-host circuit breakers, the retry budget.
//! - [`fetch`]: one HTTP client; fetch one URL with all its attempts and turn
//!   the outcome into a [`Record`].
//! - [`retry`]: the retry policy: which outcomes retry, backoff with jitter,
//!   `Retry-After`. Pure functions, unit tested.
//! - [`run`]: the pipeline: input stream → bounded fan-out → writer, and
//!   cancellation by signal or deadline.
//! - [`record`]: the [`Record`] and its error kinds: the wire format.
//! - [`output`]: record writers, one per format.
//! - [`metrics`]: the Prometheus endpoint of `--metrics`.
//! - [`progress`]: the live progress line on stderr.
//! - [`summary`]: counters and latency percentiles; the end-of-run summary
//!   and `--stats`.
#![warn(missing_docs)]

pub mod breaker;
pub mod cli;
pub mod config;
pub mod fdlimit;
pub mod fetch;
pub mod input;
pub mod limit;
pub mod metrics;
pub mod output;
pub mod progress;
pub mod record;
pub mod retry;
pub mod run;
pub mod summary;

pub use config::Config;
pub use input::Input;
pub use record::{ErrorKind, Record};
pub use run::{Exit, Report, RunError, Stop, StopReason, run};
pub use summary::Summary;
