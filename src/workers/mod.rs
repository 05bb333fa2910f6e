//! `--threads N`: fetching on N threads, each with a runtime and a client
//! of its own, while the run's task stays the one writer.
//!
//! Why this shape: reqwest's pooled connections belong to the runtime that
//! opened them (reqwest #1148, #2501), and a work-stealing runtime wakes
//! tasks across threads on every request. So each worker is a
//! current-thread runtime driving the same pipeline as `--threads 1`
//! (`buffer_unordered`, or `buffered` for `--ordered`) over its own
//! [`Fetcher`], and nothing crosses threads per request:
//!
//! - input: workers pull chunks from one [`Handout`] (a lock per chunk);
//! - admission: every fetcher asks the same `Arc<Gates>` (tokio's sync
//!   primitives are runtime-agnostic), so `-c`, `--per-host`, `--rate`,
//!   the breakers and the budget hold across all threads together, and
//!   each thread takes its `-c` slots from a lane of its own; the
//!   rest of the run-wide state (`--max-failures`, `-o` names) is in
//!   [`Shared`];
//! - records: each worker sends them to the writer in batches, when a
//!   batch is full or [`LINGER`] after its first record, so the writer is
//!   woken once per batch and a live reader still sees records at once;
//! - stopping: the one [`Stop`] (a cancellation token) reaches every
//!   runtime; in-flight fetches end as `cancelled`, as on one thread.
//!
//! Channels: the writer owns the receiving end of the records channel;
//! each worker owns a sender and drops it when its stream ends, so the
//! writer's stream ends when the last worker is done. If the writer stops
//! reading (stdout closed), a worker's next send fails and it returns,
//! dropping its in-flight fetches.

mod handout;
mod reorder;

pub(crate) use self::handout::Handout;

use std::sync::{Arc, mpsc as std_mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use futures::{FutureExt, Stream, StreamExt};
use tokio::sync::mpsc;

use crate::config::Config;
use crate::fetch::{Fetcher, Shared, pipeline};
use crate::record::Record;
use crate::stop::Stop;

/// Records per batch sent to the writer, at most.
const BATCH: usize = 64;
/// How long a worker holds a batch for more records before sending it.
pub const LINGER: Duration = Duration::from_millis(2);

/// One item's result: its hand-out number and its record (`None`: it never
/// started, the run stopped first).
pub(crate) struct Done {
    seq: u64,
    record: Option<Record>,
}

/// The work a started worker is given once the run is set up.
struct Job {
    handout: Arc<Handout>,
    records: mpsc::Sender<Vec<Done>>,
    stop: Stop,
}

/// Worker threads, each with its runtime and fetcher built, waiting for
/// their job.
pub(crate) struct Workers {
    jobs: Vec<std_mpsc::Sender<Job>>,
    threads: Vec<JoinHandle<()>>,
    /// URLs each worker keeps in its pipeline (parked or in flight).
    width: usize,
    ordered: bool,
}

impl Workers {
    /// Starts `n` workers for a run of `config` sharing `shared`; each keeps
    /// up to `width` URLs in its pipeline. Returns once every fetcher is
    /// built; an error building one is the run's setup error.
    pub(crate) fn start(
        config: &Config,
        shared: &Shared,
        n: usize,
        width: usize,
    ) -> anyhow::Result<Workers> {
        let config = Arc::new(config.clone());
        let (ready_tx, ready_rx) = std_mpsc::channel();
        let mut workers = Workers {
            jobs: Vec::with_capacity(n),
            threads: Vec::with_capacity(n),
            width,
            ordered: config.output.ordered,
        };
        for i in 0..n {
            let (job_tx, job_rx) = std_mpsc::channel();
            let (config, shared, ready) = (config.clone(), shared.for_lane(i), ready_tx.clone());
            let thread = std::thread::Builder::new()
                .name(format!("fanout-fetch-{i}"))
                .spawn(move || worker(&config, &shared, width, ready, job_rx))?;
            workers.jobs.push(job_tx);
            workers.threads.push(thread);
        }
        drop(ready_tx);
        for _ in 0..n {
            match ready_rx.recv() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(e),
                Err(_) => anyhow::bail!("a fetch thread ended before it started"),
            }
        }
        Ok(workers)
    }

    /// Gives every worker its job and returns the records as one stream
    /// for the writer, with `--ordered` in input order.
    pub(crate) fn run(
        &mut self,
        rx: mpsc::Receiver<Vec<crate::input::Item>>,
        stop: &Stop,
        concurrency: usize,
    ) -> std::pin::Pin<Box<dyn Stream<Item = Option<Record>> + Send>> {
        let n = self.jobs.len();
        // Small enough that a short list still spreads over the threads.
        let chunk = concurrency.div_ceil(n).clamp(1, BATCH);
        let window = self.ordered.then_some(self.width * n);
        let handout = Arc::new(Handout::new(rx, chunk, window));
        let (tx, records) = mpsc::channel(n);
        for job in self.jobs.drain(..) {
            let _ = job.send(Job {
                handout: handout.clone(),
                records: tx.clone(),
                stop: stop.clone(),
            });
        }
        match self.ordered {
            true => Box::pin(reorder::ordered(records, handout)),
            false => Box::pin(reorder::unordered(records)),
        }
    }

    /// Waits for the threads to end (after the records stream has ended,
    /// that is at once).
    pub(crate) fn join(self) {
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

/// One worker thread: builds its runtime and fetcher, says so, waits for
/// its job and runs it.
fn worker(
    config: &Config,
    shared: &Shared,
    width: usize,
    ready: std_mpsc::Sender<anyhow::Result<()>>,
    job: std_mpsc::Receiver<Job>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(anyhow::anyhow!("cannot start a fetch thread: {e}")));
            return;
        }
    };
    runtime.block_on(async {
        // Built inside the runtime that will drive its connections.
        let fetcher = match Fetcher::new(config, shared) {
            Ok(f) => f,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        drop(ready);
        // No job: the run failed to set up after all.
        let Ok(job) = job.recv() else { return };
        work(&fetcher, job, width, config.output.ordered).await;
    });
    // Don't wait for blocking work (a DNS lookup that hangs) on the way out.
    runtime.shutdown_background();
}

/// The worker's pipeline: chunks from the hand-out → fetches → batches to
/// the writer.
async fn work(fetcher: &Fetcher<'_>, job: Job, width: usize, ordered: bool) {
    let Job {
        handout,
        records,
        stop,
    } = job;
    let chunks = futures::stream::unfold(handout, |h| async move {
        h.take().await.map(|chunk| (chunk, h))
    });
    let items = chunks.flat_map(futures::stream::iter);
    let fetch = |(seq, item)| {
        fetcher
            .fetch(item, &stop)
            .map(move |record| Done { seq, record })
    };
    let done = pipeline(items, &stop, width, ordered, fetch);
    forward(done, &records, ordered).await;
}

/// Sends finished records to the writer in batches: when [`BATCH`] are
/// ready, [`LINGER`] after a batch's first record, and at the end.
/// Unordered, a URL that never started needs no message; ordered, the
/// writer must hear of it to move on.
async fn forward(done: impl Stream<Item = Done>, records: &mpsc::Sender<Vec<Done>>, ordered: bool) {
    let mut done = std::pin::pin!(done);
    let mut batch = Vec::new();
    let linger = tokio::time::sleep(Duration::ZERO);
    let mut linger = std::pin::pin!(linger);
    loop {
        tokio::select! {
            // A ready record first: a burst fills one batch.
            biased;
            next = done.next() => {
                let Some(d) = next else { break };
                if d.record.is_none() && !ordered {
                    continue;
                }
                if batch.is_empty() {
                    linger.as_mut().reset(tokio::time::Instant::now() + LINGER);
                }
                batch.push(d);
                if batch.len() < BATCH {
                    continue;
                }
            }
            // The batch has waited long enough.
            () = &mut linger, if !batch.is_empty() => {}
        }
        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
        if records.send(full).await.is_err() {
            return;
        }
    }
    if !batch.is_empty() {
        let _ = records.send(batch).await;
    }
}
