//! fanout fetches many URLs at once, politely and predictably, and writes one
//! result record per URL.
//!
//! The binary (`src/main.rs`) is a thin shell around this library: it parses
//! the command line into a [`Config`] and an [`Input`], builds a runtime,
//! calls [`run`] and maps what [`exit::Finish::conclude`] decides to an exit
//! status. Tests and the demo call [`run`] in-process the same way.
//!
//! # Layout
//!
//! The modules follow the flow of data, input → gates → fetch → output, and
//! depend on each other one way (leaf types first):
//!
//! - [`values`]: leaf value types — durations, sizes, rates, status sets.
//! - [`record`]: the [`Record`] and its error kinds: the wire format.
//! - [`routes`]: per-host request rules — `--resolve` (where a host's
//!   connections go) and `--header-for` (headers only a host gets).
//! - [`outcome`]: the one judge of an attempt — ok, error kind, transient,
//!   what it says about the host.
//! - [`retry`]: the retry policy: backoff with jitter, `Retry-After`, the
//!   idempotency rule. Pure functions, unit tested.
//! - [`stop`]: [`Stop`], cancellation with a reason, as a parameter.
//! - [`files`]: files written whole — where a `--report` or `--stats` FILE's
//!   bytes go (aside and renamed, or through a device or FIFO), and the
//!   temporary files they and saved bodies are written to first.
//! - [`config`]: the typed, validated [`Config`], grouped by concern, its
//!   defaults, and what a run needs kept and written ([`config::Needs`],
//!   worked out once).
//! - [`cli`]: the command line as the user typed it; `Cli::into_config()`
//!   validates it into the library's types.
//! - [`input`]: URL sources (arguments, files, stdin) read on their own thread
//!   as one lazy, bounded stream of [`input::Item`]s; shard, dedup,
//!   skip-done.
//! - [`fdlimit`]: fanout's own limit on open files: raise it, fit `-c`
//!   into it.
//! - [`gates`]: run-wide admission — `-c` slots, `--per-host`, `--rate`,
//!   circuit breakers, the retry budget — built once by the run, lent out.
//! - [`inspect`]: what answered — the final hop's phases (`--timings`),
//!   the leaf certificate (`--tls-info`), chosen response headers; built
//!   only when asked for.
//! - [`check`]: the success checks after `--accept` — `--expect`,
//!   `--expect-header`, `--expect-jq`, `--cert-valid`, `--slow` — each with
//!   its message, in the contract's order.
//! - [`fetch`]: one HTTP client; admit, attempt and retry one URL, and turn
//!   the outcome into a [`Record`]; count failures for `--max-failures`;
//!   the pipeline that drives many fetches at once.
//! - [`save`]: saving bodies (`-o`): file names from the `--output-name`
//!   template, confined to the directory, and the atomic writer.
//! - [`output`]: record writers for stdout, one per format.
//! - [`observe`]: observers of finished records — summary and `--stats`,
//!   the metrics endpoint, the progress line, the `--report`s (JUnit,
//!   Markdown).
//! - `workers`: the engine of `--threads` 2 and more: a runtime and
//!   a fetcher per thread, input handed out in chunks, records handed to
//!   the one writer in batches.
//! - [`run`]: a run: input stream → gates → fetch (on the workers, or
//!   right here with `--threads 1`; one pipeline, `fetch::pipeline`) →
//!   writer and observers.
//! - [`exit`]: how a run ends: its [`Report`], the end-of-run output, and
//!   the one decision of the exit status.
//! - [`signals`]: SIGINT/SIGTERM on a thread of their own.
#![warn(missing_docs)]

pub mod check;
pub mod cli;
pub mod config;
pub mod exit;
pub mod fdlimit;
pub mod fetch;
pub mod files;
pub mod gates;
pub mod input;
pub mod inspect;
pub mod observe;
pub mod outcome;
pub mod output;
pub mod record;
pub mod retry;
pub mod routes;
pub mod run;
pub mod save;
pub mod signals;
pub mod stop;
pub mod values;
mod workers;

pub use config::Config;
pub use exit::{Exit, Report, RunError};
pub use input::Input;
pub use observe::Summary;
pub use record::{ErrorKind, Record};
pub use run::run;
pub use stop::{Stop, StopReason};
