//! A run: input stream → gates → fetch → writer and observers.
//!
//! With `--threads` 2 or more (the default: one per 32 of `-c`, at most
//! the CPUs) fetching happens on worker threads
//! (`workers/`), each with its own runtime and client, pulling chunks of
//! the input and handing finished records back in batches; this task stays
//! the one writer. With `--threads 1` the fetcher runs right here. Both
//! drive the same [`pipeline`]: fetches are not spawned but mapped from the
//! items and polled `buffer_unordered` (`buffered` for `--ordered`, input
//! order at the cost of head-of-line waiting), so no record is lost between
//! a fetch finishing and its line being written.
//!
//! The pipeline is wider than `-c`: `w` = [`PARKED_PER_SLOT`]` × c` more
//! URLs may wait (parked) for a slot from the gates (`gates/`), which bound
//! what is in flight across all threads. A URL that needs no request — not
//! a URL, or its host's circuit open — gets its record at once instead of
//! waiting for a slot, and a URL waiting for a busy or paced host holds no
//! slot, so other hosts keep flowing. Only when that many wait does reading
//! pause, which keeps memory bounded.
//!
//! Stopping: once the [`Stop`] is triggered, the input stream ends (nothing
//! new starts), URLs still waiting for a slot end without a record, every
//! in-flight fetch abandons its request at once and yields a `cancelled`
//! record, and the writer drains those and returns.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::Instant;

use futures::{FutureExt, Stream, StreamExt};
use tokio::sync::mpsc;

use crate::config::Config;
use crate::exit::{Report, RunError};
use crate::fetch::{Fetcher, Shared, pipeline};
use crate::gates::Gates;
use crate::input::{Input, Item};
use crate::observe::hosts::HostStats;
use crate::observe::metrics::{self, Metrics};
use crate::observe::progress::Suspend;
use crate::observe::report::Reports;
use crate::observe::{Observer, Progress, RunEnd, Summary};
use crate::output::{self, RecordWriter};
use crate::record::Record;
use crate::stop::{Stop, StopReason};
use crate::workers::Workers;

/// URLs that may wait for a slot, per `-c` slot.
pub const PARKED_PER_SLOT: usize = 4;

/// Runs fanout: reads `input`, fetches with `config`, writes records to
/// `out`, until the input ends or `stop` is triggered.
pub async fn run(
    config: &Config,
    input: Input,
    out: impl Write,
    stop: &Stop,
) -> Result<Report, RunError> {
    // Built once here, lent to the fetcher and to the observers.
    let gates = Arc::new(Gates::new(config));
    let hosts = config
        .output
        .host_stats
        .then(|| Arc::new(HostStats::default()));
    let shared = Shared::new(config, gates.clone(), hosts.clone());
    let threads = gates.threads();
    let width = gates.concurrency().saturating_mul(1 + PARKED_PER_SLOT);
    let mut engine = match threads {
        1 => Engine::One(Fetcher::new(config, &shared).map_err(RunError::Setup)?),
        n => Engine::Many(
            Workers::start(config, &shared, n, width.div_ceil(n)).map_err(RunError::Setup)?,
        ),
    };
    // Bound before any request, so a busy or bad address is a setup error.
    let metrics_listener = match config.protection.metrics {
        Some(addr) => Some(bind_metrics(addr).map_err(RunError::Setup)?),
        None => None,
    };
    tracing::info!(
        concurrency = config.limits.concurrency.get(),
        timeout = ?config.limits.timeout,
        retries = config.retry.retries,
        "run started"
    );
    // Started before any request, so a report that cannot be written is a
    // setup error, not a surprise at the end.
    let mut reports =
        Reports::open(&config.verdicts.reports).map_err(|e| RunError::Setup(e.into()))?;
    let started = Instant::now();

    // The deadline timer owns a clone of the stop handle; it is aborted when
    // the run ends first.
    let deadline = config.limits.deadline.map(|d| {
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(d).await;
            stop.stop(StopReason::Deadline);
        })
    });

    // The reader thread owns the sending side; the stream below owns the
    // receiver, and dropping it (at the end of this function) stops the
    // reader at its next send.
    let (rx, read) = input.spawn();
    let metrics = metrics_listener.map(|listener| {
        let metrics = Arc::new(Metrics::new(read.clone(), gates.clone()));
        // Aborted below when the run ends, which closes the port.
        let server = tokio::spawn(metrics::serve(listener, metrics.clone()));
        (metrics, server)
    });

    let mut summary = Summary::default();
    let mut progress = Progress::new(config.output.progress, gates.clone(), read.clone());
    let suspend = progress.suspender();
    let mut metrics_observer = metrics.as_ref().map(|(m, _)| m.clone());
    // Every finished record goes to each of these, in this order.
    let mut observers: Vec<&mut dyn Observer> = vec![&mut summary, &mut progress, &mut reports];
    if let Some(m) = metrics_observer.as_mut() {
        observers.push(m);
    }

    let mut sink = Sink {
        writer: output::writer(config.output.format, out, config.output.color),
        flush_each: config.output.flush_each_record,
        suspend,
        observers: &mut observers,
    };
    let drained = match &mut engine {
        Engine::One(fetcher) => {
            let ordered = config.output.ordered;
            let fetch = |item| fetcher.fetch(item, stop);
            sink.drain(pipeline(items(rx), stop, width, ordered, fetch))
                .await
        }
        Engine::Many(workers) => sink.drain(workers.run(rx, stop, gates.concurrency())).await,
    };
    drop(sink);
    if let (Engine::Many(workers), Ok(())) = (engine, &drained) {
        // Every worker has sent its last batch; its thread is ending.
        workers.join();
    }
    if let Some(timer) = deadline {
        timer.abort();
    }
    if let Some((_, server)) = metrics {
        server.abort();
    }
    let end = RunEnd {
        elapsed: started.elapsed(),
        stopped: stop.reason(),
        stopped_at: stop.stopped_at(),
        read: read.sent.load(std::sync::atomic::Ordering::Relaxed),
        gates: &gates,
        hosts: hosts.as_deref(),
    };
    for o in observers.iter_mut() {
        o.finish(&end);
    }
    drop(observers);
    drained.map_err(RunError::Output)?;

    tracing::info!(
        records = summary.records,
        ok = summary.ok,
        failed = summary.failed,
        stopped = summary.stopped.map(|s| s.name()),
        "run finished"
    );
    let input_end = read.end().unwrap_or_default();
    Ok(Report {
        urls: input_end.accepted,
        summary,
        input_error: input_end.error,
        reports_failed: reports.failed(),
        stats_failed: false,
        fail_on: config.remember.fail_on,
    })
}

/// What fetches: on one thread, a fetcher driven right here; on several,
/// worker threads that hand their records to this task (`workers/`).
/// One per run, so its size does not matter.
#[allow(clippy::large_enum_variant)]
enum Engine<'c> {
    One(Fetcher<'c>),
    Many(Workers),
}

fn bind_metrics(addr: std::net::SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    let bind = || -> std::io::Result<tokio::net::TcpListener> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        tokio::net::TcpListener::from_std(listener)
    };
    bind().map_err(|e| anyhow::anyhow!("cannot serve --metrics on {addr}: {e}"))
}

/// The reader thread's batches as one stream of items; it ends when the
/// reader closes the channel.
fn items(rx: mpsc::Receiver<Vec<Item>>) -> impl Stream<Item = Item> {
    futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|batch| (batch, rx))
    })
    .flat_map(futures::stream::iter)
}

/// Where finished records go: the writer, then every observer.
struct Sink<'a, 'o> {
    writer: Box<dyn RecordWriter + 'a>,
    flush_each: bool,
    suspend: Suspend,
    observers: &'a mut Vec<&'o mut dyn Observer>,
}

impl Sink<'_, '_> {
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
                self.suspend
                    .run(|| writer.write(&record).and_then(|()| writer.flush()))?;
            } else {
                self.writer.write(&record)?;
            }
            for o in self.observers.iter_mut() {
                o.record(&record);
            }
        }
        self.writer.flush()
    }
}
