//! The pipeline: input stream → bounded fan-out → record writer, and how a
//! run is stopped.
//!
//! Design: fetches are not spawned. The input stream is mapped to fetch
//! futures and driven by `buffer_unordered(c)` (or `buffered(c)` for
//! `--ordered`, which keeps input order at the cost of head-of-line waiting,
//! memory still bounded by `c`). Everything runs in the task that owns the
//! writer, so no record crosses a thread and none can be lost between a
//! fetch finishing and its line being written.
//!
//! `--per-host`: when set, more URLs are taken from the input than run —
//! up to [`PARKED_PER_SLOT`]` × c` may wait for a busy host — and each first
//! takes its host's permit, then one of `c` global permits (`limit.rs`). A
//! waiting URL holds no slot, so other hosts keep flowing; only when that
//! many wait for busy hosts does reading pause, which keeps memory bounded.
//!
//! Stopping: a [`Stop`] is a cancellation token with a reason. The binary
//! triggers it from SIGINT/SIGTERM, `--deadline` from a timer, tests by hand.
//! Once stopped, the input stream ends (nothing new starts), every in-flight
//! fetch abandons its request at once and yields a `cancelled` record, and
//! the writer drains those and returns.

use std::cell::RefCell;
use std::io::{self, Write};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

use futures::{FutureExt, Stream, StreamExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::fetch::Fetcher;
use crate::input::{Input, InputEnd, Item, Msg, ReadCount};
use crate::limit::PerHost;
use crate::metrics::{self, Live, Metrics};
use crate::output::{self, RecordWriter};
use crate::progress::Progress;
use crate::record::Record;
use crate::summary::Summary;

/// With `--per-host`, URLs that may wait for a busy host, per `-c` slot.
pub const PARKED_PER_SLOT: usize = 4;

/// Why a run was stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM.
    Terminate,
    /// `--deadline` passed.
    Deadline,
}

impl StopReason {
    /// A short stable name, for `--stats`.
    pub fn name(self) -> &'static str {
        match self {
            StopReason::Interrupt => "interrupt",
            StopReason::Terminate => "terminate",
            StopReason::Deadline => "deadline",
        }
    }

    /// The message of `cancelled` records.
    pub fn message(self) -> &'static str {
        match self {
            StopReason::Interrupt => "interrupted (SIGINT)",
            StopReason::Terminate => "terminated (SIGTERM)",
            StopReason::Deadline => "the run's deadline passed (--deadline)",
        }
    }
}

/// A handle to stop a run, cheap to clone. The first reason given wins.
#[derive(Debug, Clone, Default)]
pub struct Stop {
    token: CancellationToken,
    reason: Arc<OnceLock<StopReason>>,
}

impl Stop {
    /// A handle that has not been triggered.
    pub fn new() -> Self {
        Stop::default()
    }

    /// Stops the run for `reason` (ignored if it was already stopped).
    pub fn stop(&self, reason: StopReason) {
        let _ = self.reason.set(reason);
        self.token.cancel();
    }

    /// Why the run was stopped, if it was.
    pub fn reason(&self) -> Option<StopReason> {
        self.reason.get().copied()
    }

    /// Whether the run has been stopped.
    pub fn is_stopped(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Completes once the run is stopped.
    pub async fn stopped(&self) {
        self.token.cancelled().await
    }

    /// Stops the run on SIGINT or SIGTERM, from a thread of its own so a
    /// signal is seen even while the run's thread is stuck writing to a
    /// stdout nobody reads. Later signals are absorbed: the run is already
    /// ending, and a second Ctrl-C must not kill the process before the
    /// records of the cancelled requests are written.
    ///
    /// If the process is still alive [`SIGNAL_GRACE`] after the first
    /// signal — only possible when stdout is blocked, since everything in
    /// flight is cancelled at once — it exits with 130 or 143 without the
    /// records it could not write.
    pub fn stop_on_signals(&self) -> io::Result<()> {
        use tokio::signal::unix::{SignalKind, signal};
        let stop = self.clone();
        let (ready, installed) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("fanout-signals".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(rt) => rt,
                    Err(e) => return drop(ready.send(Err(e))),
                };
                rt.block_on(async move {
                    let (mut int, mut term) =
                        match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
                            (Ok(int), Ok(term)) => (int, term),
                            (Err(e), _) | (_, Err(e)) => return drop(ready.send(Err(e))),
                        };
                    let _ = ready.send(Ok(()));
                    // Whichever signal comes first decides the exit status.
                    let reason = tokio::select! {
                        _ = int.recv() => StopReason::Interrupt,
                        _ = term.recv() => StopReason::Terminate,
                    };
                    stop.stop(reason);
                    let grace = tokio::time::sleep(SIGNAL_GRACE);
                    tokio::pin!(grace);
                    loop {
                        // Signals are only drained; the grace period ending
                        // wins, unless the process has exited by then.
                        tokio::select! {
                            _ = int.recv() => {}
                            _ = term.recv() => {}
                            _ = &mut grace => break,
                        }
                    }
                    let _ = writeln!(
                        io::stderr().lock(),
                        "fanout: {}; stdout is not being read, exiting without the remaining records",
                        reason.message()
                    );
                    let code = match reason {
                        StopReason::Terminate => Exit::Terminated,
                        _ => Exit::Interrupted,
                    };
                    std::process::exit(code.code().into());
                });
            })?;
        installed
            .recv()
            .unwrap_or_else(|_| Err(io::Error::other("the signal thread did not start")))
    }
}

/// How long after a signal the process may take to write its last records
/// before it exits regardless (see [`Stop::stop_on_signals`]).
pub const SIGNAL_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

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
    /// The exit status this run ends with.
    pub fn exit(&self) -> Exit {
        match self.summary.stopped {
            Some(StopReason::Interrupt) => Exit::Interrupted,
            Some(StopReason::Terminate) => Exit::Terminated,
            _ if self.input_error.is_some() => Exit::Usage,
            // The input ended with no URL in it. (A run stopped early may
            // not have read to the end; then this says nothing.)
            None if self.urls == 0 => Exit::Usage,
            Some(StopReason::Deadline) => Exit::Failure,
            None if self.summary.failed > 0 => Exit::Failure,
            None => Exit::Success,
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

/// Runs fanout: reads `input`, fetches with `config`, writes JSON Lines
/// records to `out`, until the input ends or `stop` is triggered.
pub async fn run(
    config: &Config,
    input: Input,
    out: impl Write,
    stop: &Stop,
) -> Result<Report, RunError> {
    let fetcher = Fetcher::new(config).map_err(RunError::Setup)?;
    // Bound before any request, so a busy or bad address is a setup error.
    let metrics_listener = match config.metrics {
        Some(addr) => Some(bind_metrics(addr).map_err(RunError::Setup)?),
        None => None,
    };
    tracing::info!(
        concurrency = config.concurrency.get(),
        timeout = ?config.timeout,
        retries = config.retry.retries,
        "run started"
    );
    let mut writer = output::writer(config.format, out, config.color);
    let mut progress = Progress::new(config.progress);
    let started = std::time::Instant::now();

    // The deadline timer owns a clone of the stop handle; it is aborted when
    // the run ends first.
    let deadline = config.deadline.map(|d| {
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(d).await;
            stop.stop(StopReason::Deadline);
        })
    });

    // Filled in by the input stream when the reader thread says it is done.
    let end: RefCell<Option<InputEnd>> = RefCell::new(None);
    let (rx, read) = input.spawn();
    // URLs taken from the input and records written; the difference is in
    // flight. Atomics, because the metrics endpoint reads them too.
    let live = Arc::new(Live::default());
    let metrics = metrics_listener.map(|listener| {
        let metrics = Arc::new(Metrics::new(
            read.clone(),
            live.clone(),
            fetcher.breakers().cloned(),
            fetcher.budget().cloned(),
        ));
        // Aborted below when the run ends, which closes the port.
        let server = tokio::spawn(metrics::serve(listener, metrics.clone()));
        (metrics, server)
    });
    // Once stopped, no further item is taken from the input: nothing new
    // starts, while the fetches already in flight finish as `cancelled`.
    let items = items(rx, &end).take_until(stop.token.clone().cancelled_owned());
    let c = config.concurrency.get();
    let per_host = (config.per_host > 0).then(|| PerHost::new(config.per_host, c));
    let width = match per_host {
        Some(_) => c.saturating_mul(1 + PARKED_PER_SLOT),
        None => c,
    };
    let fetches = items.map(|item| {
        live.taken.fetch_add(1, Ordering::Relaxed);
        let per_host = per_host.as_ref();
        let fetcher = &fetcher;
        async move {
            if per_host.is_some() {
                // An open circuit answers at once, without waiting for a
                // host or a -c slot.
                if let Some(refused) = fetcher.refused_by_breaker(&item) {
                    return Some(refused);
                }
            }
            let _admission = match per_host {
                // A URL still waiting for its host when the run stops was
                // never started: it gets no record.
                Some(limits) => tokio::select! {
                    biased;
                    _ = stop.stopped() => return None,
                    a = limits.admit(item.url.as_ref().ok()) => Some(a),
                },
                None => None,
            };
            fetcher.fetch(item, stop).await
        }
    });

    let mut sink = Sink {
        writer: writer.as_mut(),
        flush_each: config.flush_each_record,
        summary: Summary::default(),
        progress: &mut progress,
        live: &live,
        metrics: metrics.as_ref().map(|(m, _)| m.as_ref()),
        read: &read,
        total_known: false,
    };
    let drained = if config.ordered {
        sink.drain(fetches.buffered(width)).await
    } else {
        sink.drain(fetches.buffer_unordered(width)).await
    };
    let mut summary = sink.summary;
    progress.clear();
    if let Some(timer) = deadline {
        timer.abort();
    }
    if let Some((_, server)) = metrics {
        server.abort();
    }
    drained.map_err(RunError::Output)?;

    let end = end.into_inner().unwrap_or_default();
    summary.elapsed = started.elapsed();
    summary.stopped = stop.reason();
    summary.concurrency = c;
    tracing::info!(
        records = summary.records,
        ok = summary.ok,
        failed = summary.failed,
        stopped = summary.stopped.map(|s| s.name()),
        "run finished"
    );
    summary.not_started = read
        .sent
        .load(Ordering::Relaxed)
        .saturating_sub(summary.records);
    summary.retries_refused = fetcher.budget().map(|b| b.refused());
    summary.circuits_opened = fetcher.breakers().map(|b| b.tripped());
    Ok(Report {
        urls: end.accepted,
        summary,
        input_error: end.error,
    })
}

fn bind_metrics(addr: std::net::SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    let bind = || -> std::io::Result<tokio::net::TcpListener> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        tokio::net::TcpListener::from_std(listener)
    };
    bind().map_err(|e| anyhow::anyhow!("cannot serve --metrics on {addr}: {e}"))
}

/// The reader thread's batches as one stream of items. Records how input
/// ended in `end`. Dropping the stream drops the receiver, which stops the
/// reader thread at its next send.
fn items(
    rx: mpsc::Receiver<Msg>,
    end: &RefCell<Option<InputEnd>>,
) -> impl Stream<Item = Item> + '_ {
    futures::stream::unfold(rx, move |mut rx| async move {
        match rx.recv().await? {
            Msg::Items(batch) => Some((batch, rx)),
            Msg::End(e) => {
                *end.borrow_mut() = Some(e);
                None
            }
        }
    })
    .flat_map(futures::stream::iter)
}

/// Where finished records go: the writer, the summary, the progress line.
struct Sink<'a> {
    writer: &'a mut dyn RecordWriter,
    flush_each: bool,
    summary: Summary,
    progress: &'a mut Progress,
    live: &'a Live,
    metrics: Option<&'a Metrics>,
    read: &'a ReadCount,
    total_known: bool,
}

impl Sink<'_> {
    /// Writes every record as it comes. Flushes when no record is ready
    /// right now: a burst costs one write per buffer, and a live reader of a
    /// pipe (`| jq`) still sees each record as soon as the stream pauses.
    async fn drain(&mut self, records: impl Stream<Item = Option<Record>>) -> io::Result<()> {
        let mut records = std::pin::pin!(records);
        loop {
            let next = match records.next().now_or_never() {
                Some(next) => next,
                None => {
                    self.writer.flush()?;
                    records.next().await
                }
            };
            let Some(record) = next else { break };
            let Some(record) = record else { continue };
            if self.flush_each {
                // stdout is a terminal: the record goes above the progress
                // line, not into it.
                let writer = &mut self.writer;
                self.progress
                    .suspend(|| writer.write(&record).and_then(|()| writer.flush()))?;
            } else {
                self.writer.write(&record)?;
            }
            self.summary.add(&record);
            self.live.done.fetch_add(1, Ordering::Relaxed);
            if let Some(m) = self.metrics {
                m.record(&record);
            }
            let taken = self.live.taken.load(Ordering::Relaxed);
            let in_flight = taken.saturating_sub(self.summary.records);
            self.progress.finished(record.ok, in_flight);
            if !self.total_known && self.read.finished.load(Ordering::Acquire) {
                self.total_known = true;
                self.progress
                    .total_known(self.read.sent.load(Ordering::Relaxed));
            }
        }
        self.writer.flush()
    }
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
        assert_eq!(report(3, 0, Some(StopReason::Interrupt)).exit().code(), 130);
        assert_eq!(report(3, 1, Some(StopReason::Terminate)).exit().code(), 143);
        let mut r = report(3, 0, None);
        r.input_error = Some("cannot read".into());
        assert_eq!(r.exit(), Exit::Usage);
    }

    #[test]
    fn the_first_stop_reason_wins() {
        let stop = Stop::new();
        assert_eq!(stop.reason(), None);
        stop.stop(StopReason::Terminate);
        stop.stop(StopReason::Interrupt);
        assert_eq!(stop.reason(), Some(StopReason::Terminate));
    }
}
