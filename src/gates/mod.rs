//! Run-wide admission: what each request of a URL must pass — its host's
//! `--host-rate` turn (`host_rate.rs`), a `-c` slot, its host's
//! `--per-host` permit, its host's adaptive limit and `Retry-After` pause
//! (`adaptive.rs`), a `--rate` start and its host's `--host-rate` start,
//! its host's circuit breaker, the retry budget. Every attempt is admitted
//! on its own. Between attempts a URL keeps its slot only while its host
//! neither throttles nor adapts (see [`Admission::done`]): a URL waiting
//! for a throttled or paused host holds nothing, so other hosts go on.
//!
//! [`Gates`] is built once by the run and lent to the fetcher (which asks
//! it) and to the metrics and summary (which read it): the state lives in
//! one place, and nothing is read back out of the fetcher.
//!
//! Waits must not hold anything another host could use: a URL waiting for
//! its busy host holds no slot, and one whose host's circuit opens while it
//! waits gives up at once (its `circuit_open` record takes no slot).
//!
//! With `--threads N` the `-c` slots are split into N lanes, one per fetch
//! thread, taken before the run-wide slot. A thread then waits only for
//! its own lane, woken by its own requests finishing: a slot freed on one
//! thread never wakes a task on another (a cross-thread wake-up per
//! request is what made a work-stealing runtime slower than one thread),
//! and each thread's pool keeps about its share of connections. A URL
//! that has waited [`BORROW_AFTER`] for its lane waits for any run-wide
//! slot instead, so a thread whose lane is held by a slow host borrows the
//! slots other threads leave idle: `-c` stays one run-wide limit, and the
//! lanes only decide who waits where while every slot is busy.

pub mod adaptive;
pub mod aimd;
pub mod breaker;
pub mod budget;
pub mod host_rate;
pub mod per_host;
pub mod rate;
pub mod signal;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::Url;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

use self::adaptive::{Adaptive, Signal};
use self::breaker::Breakers;
use self::budget::RetryBudget;
use self::host_rate::{HostRates, Turn};
use self::per_host::{HostPermit, PerHost};
use self::rate::Pacer;
use crate::config::{Adapt, Config};

/// Longer than any run; stands in for durations too long to add to a clock.
pub(crate) const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// `at + wait`, or as late as a clock goes: a cooldown, an interval or a
/// `Retry-After` of centuries must not overflow the clock (a panic).
pub(crate) fn later(at: tokio::time::Instant, wait: Duration) -> tokio::time::Instant {
    at.checked_add(wait).unwrap_or(at + FOREVER)
}

/// How long a URL waits for its thread's lane before it takes any free
/// run-wide slot instead (`--threads`). Longer than a loaded loopback
/// request takes, so while every lane is busy nobody borrows.
pub const BORROW_AFTER: Duration = Duration::from_millis(10);

/// The host key: host and port, as the SPEC defines a host.
pub fn host_key(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// The run's admission state.
pub struct Gates {
    concurrency: usize,
    slots: Semaphore,
    /// `--threads N`: each fetch thread's share of the slots (none on one
    /// thread).
    lanes: Vec<Semaphore>,
    per_host: Option<Arc<PerHost>>,
    adaptive: Adaptive,
    pacer: Option<Pacer>,
    /// `--host-rate`, `--rate-for`.
    host_rates: Option<HostRates>,
    breakers: Option<Breakers>,
    budget: Option<RetryBudget>,
    /// URLs holding a slot right now.
    in_flight: AtomicU64,
}

/// Permission to make one attempt.
pub struct Admission<'g> {
    // Field order is drop order: the slot goes first.
    _slot: SemaphorePermit<'g>,
    _lane: Option<SemaphorePermit<'g>>,
    _host: Option<HostPermit>,
    adaptive: Option<adaptive::HostPermit<'g>>,
    /// Its host's `--host-rate` turn, until its start is reserved.
    turn: Option<Turn>,
    gates: &'g Gates,
}

impl Admission<'_> {
    /// Ends the attempt, telling its host's adaptive limit what the
    /// outcome said. `host` gives the host's key for an attempt admitted
    /// before any host throttled (it holds no adaptive permit): its 429 or
    /// 503 starts the table. (Dropping an admission says nothing.)
    ///
    /// The URL keeps its slot (and `--per-host` permit) for its next
    /// attempt and until its record is made — unless its host asked it to
    /// come back later (a `Retry-After`), or its host's limit adapts (it
    /// throttled, or `--adaptive`): then it waits holding nothing, so other
    /// hosts' URLs go on. With `--no-adaptive` only a `Retry-After` makes it
    /// let go. Pass what this returns to [`Gates::readmit_in`], which gives
    /// the slot up too if the host cannot take the next attempt at once.
    pub fn done(mut self, signal: Signal, host: impl FnOnce() -> String) -> Option<Self> {
        let adapting = self.adaptive.as_ref().is_some_and(|p| p.adapting());
        match (self.adaptive.take(), signal) {
            (Some(permit), _) => permit.done(signal),
            (None, Signal::Throttled(retry_after)) => {
                let in_flight = self.gates.in_flight();
                self.gates
                    .adaptive
                    .throttled_unadmitted(&host(), retry_after, in_flight);
            }
            (None, _) => {}
        }
        let keep = match self.gates.adaptive.mode() {
            Adapt::Always => false,
            Adapt::Fixed => !matches!(signal, Signal::Throttled(Some(_))),
            Adapt::OnThrottle => !matches!(signal, Signal::Throttled(_)) && !adapting,
        };
        keep.then_some(self)
    }

    /// Whether this attempt's host was paused (a `Retry-After`) while the
    /// URL waited for its slot: then it must not go out now.
    pub fn host_paused(&self) -> bool {
        self.adaptive.as_ref().is_some_and(|p| p.paused())
    }
}

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        self.gates.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Gates {
    /// The gates `config` asks for; those it does not ask for cost nothing.
    pub fn new(config: &Config) -> Gates {
        let c = config.limits.concurrency.get().min(Semaphore::MAX_PERMITS);
        let p = &config.protection;
        // More threads than slots could never all be busy.
        let threads = config.limits.threads.get().min(c);
        Gates {
            concurrency: c,
            slots: Semaphore::new(c),
            lanes: match threads {
                1 => Vec::new(),
                n => (0..n)
                    .map(|i| Semaphore::new(c / n + usize::from(i < c % n)))
                    .collect(),
            },
            // --adaptive replaces the fixed --per-host limit, which becomes
            // its ceiling; a host adapting after a 429 keeps both.
            per_host: match config.limits.adaptive {
                Adapt::Always => None,
                _ => config.limits.per_host.map(|n| PerHost::new(n.get())),
            },
            adaptive: Adaptive::new(
                config.limits.adaptive,
                config.limits.per_host.map_or(c, |n| n.get().min(c)),
                config.retry.backoff_max,
            ),
            pacer: config.limits.rate.map(|r| Pacer::new(r.interval())),
            host_rates: HostRates::new(config.limits.host_rate, &config.limits.rate_for),
            breakers: p
                .trip_after
                .map(|n| Breakers::new(n.get(), p.trip_cooldown)),
            budget: p.retry_budget.map(RetryBudget::new),
            in_flight: AtomicU64::new(0),
        }
    }

    /// `-c`: URLs that may hold a slot at once.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// The fetch threads the slots are split for: `--threads`, at most `-c`.
    pub fn threads(&self) -> usize {
        self.lanes.len().max(1)
    }

    /// URLs holding a slot right now.
    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// The circuit breakers, with `--trip-after`.
    pub fn breakers(&self) -> Option<&Breakers> {
        self.breakers.as_ref()
    }

    /// The retry budget, with `--retry-budget`.
    pub fn budget(&self) -> Option<&RetryBudget> {
        self.budget.as_ref()
    }

    /// Whether admission looks at every URL's host (`--per-host`,
    /// `--adaptive`, breakers): without, a host key is made only once some
    /// host has throttled ([`Gates::needs_host`]).
    pub fn by_host(&self) -> bool {
        self.per_host.is_some() || self.adaptive.mode() == Adapt::Always || self.breakers.is_some()
    }

    /// Whether the next attempt's admission needs its host's key.
    pub fn needs_host(&self) -> bool {
        self.by_host() || self.adaptive.active()
    }

    /// `--host-rate`, `--rate-for`: the hosts' rates, when given.
    pub fn host_rates(&self) -> Option<&HostRates> {
        self.host_rates.as_ref()
    }

    /// The adaptive limits and `Retry-After` pauses of the hosts.
    pub fn adaptive(&self) -> &Adaptive {
        &self.adaptive
    }

    /// Whether `host`'s circuit refuses URLs right now.
    pub fn circuit_open(&self, host: Option<&str>) -> bool {
        match (&self.breakers, host) {
            (Some(b), Some(host)) => b.is_open(host),
            _ => false,
        }
    }

    /// Waits for `host`'s permit (with `--per-host`), then a slot. `None`
    /// when `host`'s circuit opened meanwhile: the URL is not requested.
    pub async fn admit(&self, host: Option<&str>) -> Option<Admission<'_>> {
        self.admit_in(host, None, 0).await
    }

    /// [`Gates::admit`] for the fetch thread of `lane` (`--threads`): the
    /// slot is taken from that thread's share. `left`: the URL's attempts
    /// after this one (after a host's pause, fewest go first).
    pub async fn admit_in(
        &self,
        host: Option<&str>,
        lane: Option<usize>,
        left: u32,
    ) -> Option<Admission<'_>> {
        self.admit_as(host, None, lane, left).await
    }

    /// [`Gates::admit_in`] for a URL whose host is `name` (its host name,
    /// given when [`Gates::host_rates`] are): first its host's turn and
    /// the host's next start (`--host-rate`), waited for holding nothing.
    pub async fn admit_as(
        &self,
        host: Option<&str>,
        name: Option<&str>,
        lane: Option<usize>,
        left: u32,
    ) -> Option<Admission<'_>> {
        let admit = async {
            let turn = match (&self.host_rates, name) {
                (Some(rates), Some(name)) => rates.turn(name).await,
                _ => None,
            };
            let host_permit = match (&self.per_host, host) {
                (Some(limits), Some(host)) => Some(limits.acquire(host).await),
                _ => None,
            };
            let adaptive = match host {
                Some(host) if self.adaptive.active() => {
                    Some(self.adaptive.acquire_with(host, left).await)
                }
                _ => None,
            };
            let lane = match lane.and_then(|i| self.lanes.get(i)) {
                Some(lane) => match lane.try_acquire() {
                    Ok(permit) => Some(permit),
                    // Boxed: the timer would make every admission's future
                    // bigger, on one thread too, where it is never needed.
                    Err(_) => Box::pin(wait_for_lane(lane)).await,
                },
                None => None,
            };
            // With a lane this waits only while others borrow.
            let slot = self.slots.acquire().await.expect("never closed");
            self.in_flight.fetch_add(1, Ordering::Relaxed);
            Admission {
                _slot: slot,
                _lane: lane,
                _host: host_permit,
                adaptive,
                turn,
                gates: self,
            }
        };
        match (&self.breakers, host) {
            (Some(breakers), Some(host)) => tokio::select! {
                // Admitted and opened at once: the breaker is asked again
                // just before the request, which then refuses it.
                biased;
                a = admit => Some(a),
                () = breakers.until_open(host) => None,
            },
            _ => Some(admit.await),
        }
    }

    /// The next attempt's admission for a URL that kept `held` from its
    /// last one: only its host's adaptive permit is still needed. If the
    /// host makes it wait (paused, or at its limit), the URL gives up its
    /// slot first and is admitted anew. `None` when its host's circuit
    /// opened meanwhile.
    pub async fn readmit_in<'g>(
        &'g self,
        host: Option<&str>,
        name: Option<&str>,
        lane: Option<usize>,
        left: u32,
        mut held: Admission<'g>,
    ) -> Option<Admission<'g>> {
        if let (Some(key), true) = (host, self.adaptive.active()) {
            match self.adaptive.try_acquire(key) {
                Some(permit) => held.adaptive = Some(permit),
                None => {
                    drop(held);
                    return self.admit_as(host, name, lane, left).await;
                }
            }
        }
        // Its host's turn, if free and due now; else the URL waits for it
        // like any other, holding nothing.
        if let (Some(rates), Some(n)) = (&self.host_rates, name) {
            match rates.try_turn(n) {
                Ok(turn) => held.turn = turn,
                Err(()) => {
                    drop(held);
                    return self.admit_as(host, name, lane, left).await;
                }
            }
        }
        Some(held)
    }

    /// Waits for the admitted attempt's start: its `--rate` start and its
    /// host's `--host-rate` start (`name`), the later of both, reserved
    /// now; then gives up the host's turn. At once without either flag.
    pub async fn pace(&self, name: Option<&str>, admission: &mut Admission<'_>) {
        let rate_at = self.pacer.as_ref().map(Pacer::reserve);
        let host_at = match (&self.host_rates, name) {
            (Some(rates), Some(name)) => rates.reserve(name, rate_at.unwrap_or_else(Instant::now)),
            _ => None,
        };
        admission.turn = None;
        if let Some(at) = host_at.or(rate_at) {
            tokio::time::sleep_until(at).await;
        }
    }

    /// Whether starts are paced (`--rate`, `--host-rate`, `--rate-for`).
    pub fn paced(&self) -> bool {
        self.pacer.is_some() || self.host_rates.is_some()
    }

    /// A redirect hop to `url` (`--host-rate`): the time its request may
    /// start, reserved now; `None` without host rates or for a host
    /// without one.
    pub fn hop_start(&self, url: &Url) -> Option<Instant> {
        let rates = self.host_rates.as_ref()?;
        rates.reserve(crate::values::host_name(url), Instant::now())
    }
}

/// A permit of `lane`, or none once [`BORROW_AFTER`] has passed: then the
/// URL waits for any run-wide slot instead.
async fn wait_for_lane(lane: &Semaphore) -> Option<SemaphorePermit<'_>> {
    tokio::select! {
        // Its own lane first; after a while, whichever slot is free (the
        // lane's wait is dropped).
        biased;
        p = lane.acquire() => Some(p.expect("never closed")),
        () = tokio::time::sleep(BORROW_AFTER) => None,
    }
}

#[cfg(test)]
mod tests {
    use std::num::{NonZeroU32, NonZeroUsize};

    use super::*;
    use crate::gates::breaker::{Health, Pass};

    #[test]
    fn host_keys_include_the_port() {
        let key = |s: &str| host_key(&Url::parse(s).unwrap());
        assert_eq!(key("http://a.example/x"), "a.example:80");
        assert_eq!(key("https://a.example/x"), "a.example:443");
        assert_eq!(key("https://a.example:443/"), "a.example:443");
        assert_eq!(key("http://127.0.0.1:8080/"), "127.0.0.1:8080");
    }

    fn config(c: usize, per_host: Option<usize>, trip_after: Option<u32>) -> Config {
        let mut config = Config::default();
        config.limits.concurrency = NonZeroUsize::new(c).unwrap();
        config.limits.per_host = per_host.and_then(NonZeroUsize::new);
        config.protection.trip_after = trip_after.and_then(NonZeroU32::new);
        config
    }

    #[tokio::test]
    async fn slots_bound_concurrency_and_count_in_flight() {
        let gates = Gates::new(&config(2, None, None));
        let a = gates.admit(None).await.unwrap();
        let _b = gates.admit(None).await.unwrap();
        assert_eq!(gates.in_flight(), 2);
        let mut c = Box::pin(gates.admit(None));
        assert!(futures::poll!(c.as_mut()).is_pending());
        drop(a);
        let _c = c.await.unwrap();
        assert_eq!(gates.in_flight(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn each_thread_waits_for_its_own_lane_and_lanes_add_up_to_c() {
        let mut config = config(3, None, None);
        config.limits.threads = NonZeroUsize::new(2).unwrap();
        let gates = Gates::new(&config);
        assert_eq!(gates.threads(), 2);
        let _a = gates.admit_in(None, Some(1), 0).await.unwrap();
        let mut second = Box::pin(gates.admit_in(None, Some(1), 0));
        assert!(
            futures::poll!(second.as_mut()).is_pending(),
            "lane 1 has 1 slot"
        );
        let b = gates.admit_in(None, Some(0), 0).await.unwrap();
        let _c = gates.admit_in(None, Some(0), 0).await.unwrap();
        assert_eq!(gates.in_flight(), 3);
        // Lane 1 stays full; once lane 0 frees a slot, the waiting URL
        // borrows it, after a while.
        drop(b);
        tokio::time::sleep(BORROW_AFTER / 2).await;
        assert!(
            futures::poll!(second.as_mut()).is_pending(),
            "too soon to borrow"
        );
        tokio::time::sleep(BORROW_AFTER).await;
        let std::task::Poll::Ready(Some(_borrowed)) = futures::poll!(second.as_mut()) else {
            panic!("lane 0's free slot is borrowed");
        };
        assert_eq!(gates.in_flight(), 3);
        config.limits.threads = NonZeroUsize::new(8).unwrap();
        assert_eq!(Gates::new(&config).threads(), 3, "no more threads than -c");
    }

    #[tokio::test]
    async fn a_url_waiting_for_its_host_holds_no_slot() {
        let gates = Gates::new(&config(2, Some(1), None));
        let _a = gates.admit(Some("a:80")).await.unwrap();
        let mut a2 = Box::pin(gates.admit(Some("a:80")));
        assert!(futures::poll!(a2.as_mut()).is_pending());
        let _b = gates.admit(Some("b:80")).await.unwrap();
        assert_eq!(gates.in_flight(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_circuit_opening_ends_the_wait_for_a_slot() {
        let gates = Gates::new(&config(1, None, Some(1)));
        let _busy = gates.admit(Some("slow:80")).await.unwrap();
        let mut waiting = Box::pin(gates.admit(Some("bad:80")));
        assert!(futures::poll!(waiting.as_mut()).is_pending());
        let breakers = gates.breakers().unwrap();
        breakers.report("bad:80", Pass::Closed, Health::Failed);
        assert!(waiting.await.is_none());
        assert!(gates.circuit_open(Some("bad:80")));
        assert_eq!(gates.in_flight(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn adaptive_limits_stay_under_per_host() {
        let mut c = config(64, Some(3), None);
        c.limits.adaptive = Adapt::Always;
        let gates = Gates::new(&c);
        for _ in 0..20 {
            gates
                .admit(Some("a:80"))
                .await
                .unwrap()
                .done(Signal::Success, String::new);
        }
        assert_eq!(gates.adaptive().limit_of("a:80"), Some(3));
        let held: Vec<_> =
            futures::future::join_all((0..3).map(|_| gates.admit(Some("a:80")))).await;
        let mut fourth = Box::pin(gates.admit(Some("a:80")));
        assert!(futures::poll!(fourth.as_mut()).is_pending());
        // Waiting for its host, the fourth holds no slot.
        assert_eq!(gates.in_flight(), 3);
        drop(held);
    }
}
