//! The per-host circuit breaker (`--trip-after`, `--trip-cooldown`) and the
//! run-wide retry budget (`--retry-budget`): the two ways fanout stops
//! pressing on a backend that is already failing.
//!
//! Breaker states per host (host and port):
//!
//! ```text
//! closed(n) --N consecutive final failures--> open(until)
//! open(until) --cooldown passed, next URL--> half-open (that URL is the probe)
//! half-open --probe ok--> closed(0)      half-open --probe failed--> open(now + cooldown)
//! ```
//!
//! While a host is open or half-open, its other URLs get `circuit_open`
//! records without a request. Outcomes of requests that were already in
//! flight when the circuit opened are ignored: they say nothing about the
//! host after the trip.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Requests flow; `failures` consecutive final failures so far.
    Closed { failures: u32 },
    /// No requests until `until`.
    Open { until: Instant },
    /// One probe URL is running.
    HalfOpen,
}

/// What the breaker says about a request to a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Go ahead.
    Closed,
    /// Go ahead: this URL is the probe of a half-open circuit, and its
    /// outcome decides the circuit.
    Probe,
    /// Don't: the circuit is open.
    Open,
}

/// How a URL ended, as far as its host's health is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// The host answered (whatever the answer was).
    Answered,
    /// A final transport failure or a final retryable status.
    Failed,
}

/// Longer than any run; stands in for durations too long to add to a clock.
const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Circuit breakers for all hosts of a run.
#[derive(Debug)]
pub struct Breakers {
    trip_after: u32,
    cooldown: Duration,
    hosts: Mutex<Hosts>,
}

#[derive(Debug, Default)]
struct Hosts {
    /// Hosts not in the map are closed with no failures.
    state: HashMap<String, State>,
    /// Hosts whose circuit opened at some point, for the summary.
    tripped: BTreeSet<String>,
}

impl Breakers {
    /// Opens a host's circuit after `trip_after` (≥ 1) consecutive final
    /// failures, for `cooldown`.
    pub fn new(trip_after: u32, cooldown: Duration) -> Breakers {
        Breakers {
            trip_after: trip_after.max(1),
            cooldown,
            hosts: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Hosts> {
        self.hosts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Checks `host` just before a URL's first request. A half-open host
    /// whose cooldown has passed makes this URL its probe.
    pub fn check(&self, host: &str) -> Pass {
        let mut hosts = self.lock();
        match hosts.state.get(host).copied() {
            None | Some(State::Closed { .. }) => Pass::Closed,
            Some(State::Open { until }) if Instant::now() >= until => {
                hosts.state.insert(host.to_owned(), State::HalfOpen);
                Pass::Probe
            }
            Some(State::Open { .. } | State::HalfOpen) => Pass::Open,
        }
    }

    /// Whether `host`'s circuit would refuse a URL now, without changing
    /// anything (a half-open circuit whose probe is running refuses; an
    /// open one whose cooldown has passed does not).
    pub fn is_open(&self, host: &str) -> bool {
        match self.lock().state.get(host) {
            Some(State::Open { until }) => Instant::now() < *until,
            Some(State::HalfOpen) => true,
            _ => false,
        }
    }

    /// Checks `host` before a retry of a URL that passed as `pass`: the
    /// probe keeps going; another URL stops if the circuit opened meanwhile.
    pub fn check_retry(&self, host: &str, pass: Pass) -> Pass {
        if pass == Pass::Probe {
            return Pass::Probe;
        }
        match self.lock().state.get(host) {
            None | Some(State::Closed { .. }) => Pass::Closed,
            Some(_) => Pass::Open,
        }
    }

    /// Records how a URL that passed as `pass` ended.
    pub fn report(&self, host: &str, pass: Pass, health: Health) {
        let mut hosts = self.lock();
        let state = hosts.state.get(host).copied();
        let next = match (pass, state, health) {
            (Pass::Probe, _, Health::Answered) => None,
            (Pass::Probe, _, Health::Failed) => Some(self.open()),
            // Outcomes from before a trip don't move an open circuit.
            (_, Some(State::Open { .. } | State::HalfOpen), _) => return,
            (_, _, Health::Answered) => None,
            (_, None, Health::Failed) => Some(State::Closed { failures: 1 }),
            (_, Some(State::Closed { failures }), Health::Failed) => Some(State::Closed {
                failures: failures + 1,
            }),
        };
        let next = match next {
            Some(State::Closed { failures }) if failures >= self.trip_after => Some(self.open()),
            other => other,
        };
        match next {
            Some(s) => {
                if matches!(s, State::Open { .. }) {
                    hosts.tripped.insert(host.to_owned());
                    tracing::info!(host, cooldown = ?self.cooldown, "circuit opened");
                }
                hosts.state.insert(host.to_owned(), s);
            }
            // Closed with no failures is the default: keep the map small.
            None => {
                hosts.state.remove(host);
            }
        }
    }

    fn open(&self) -> State {
        let now = Instant::now();
        State::Open {
            // A cooldown too long to represent is "for the rest of the run".
            until: now.checked_add(self.cooldown).unwrap_or(now + FOREVER),
        }
    }

    /// Hosts whose circuit is open or half-open right now.
    pub fn open_now(&self) -> usize {
        self.lock()
            .state
            .values()
            .filter(|s| !matches!(s, State::Closed { .. }))
            .count()
    }

    /// Hosts whose circuit opened at some point in the run, sorted.
    pub fn tripped(&self) -> Vec<String> {
        self.lock().tripped.iter().cloned().collect()
    }
}

/// Caps retries across the run at a share of first attempts.
#[derive(Debug)]
pub struct RetryBudget {
    percent: f64,
    first_attempts: AtomicU64,
    retries: AtomicU64,
    refused: AtomicU64,
}

/// Retries are always allowed up to this many in total.
pub const RETRY_BUDGET_FLOOR: u64 = 10;

impl RetryBudget {
    /// Retries may be at most `percent` (0–100) of first attempts so far,
    /// and never fewer than [`RETRY_BUDGET_FLOOR`] in total.
    pub fn new(percent: f64) -> RetryBudget {
        RetryBudget {
            percent,
            first_attempts: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    /// Counts a URL's first attempt.
    pub fn first_attempt(&self) {
        self.first_attempts.fetch_add(1, Ordering::Relaxed);
    }

    /// Takes one retry from the budget, or counts it refused.
    pub fn try_retry(&self) -> bool {
        let first = self.first_attempts.load(Ordering::Relaxed) as f64;
        let allowed = ((first * self.percent / 100.0).floor() as u64).max(RETRY_BUDGET_FLOOR);
        let took = self
            .retries
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |r| {
                (r < allowed).then_some(r + 1)
            })
            .is_ok();
        if !took {
            self.refused.fetch_add(1, Ordering::Relaxed);
        }
        took
    }

    /// Retries granted so far.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Retries refused so far.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "h:80";

    #[tokio::test(start_paused = true)]
    async fn trips_after_n_consecutive_failures() {
        let b = Breakers::new(3, Duration::from_secs(30));
        for _ in 0..2 {
            assert_eq!(b.check(H), Pass::Closed);
            b.report(H, Pass::Closed, Health::Failed);
        }
        // An answer resets the count.
        b.report(H, Pass::Closed, Health::Answered);
        for _ in 0..2 {
            b.report(H, Pass::Closed, Health::Failed);
        }
        assert_eq!(b.check(H), Pass::Closed);
        b.report(H, Pass::Closed, Health::Failed);
        assert_eq!(b.check(H), Pass::Open);
        assert_eq!(
            b.check("other:80"),
            Pass::Closed,
            "other hosts are unaffected"
        );
        assert_eq!(b.open_now(), 1);
        assert_eq!(b.tripped(), [H]);
    }

    #[tokio::test(start_paused = true)]
    async fn half_open_probe_closes_on_success() {
        let b = Breakers::new(1, Duration::from_secs(30));
        b.report(H, Pass::Closed, Health::Failed);
        assert_eq!(b.check(H), Pass::Open);
        tokio::time::advance(Duration::from_secs(29)).await;
        assert_eq!(b.check(H), Pass::Open, "still cooling down");
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(b.check(H), Pass::Probe);
        assert_eq!(b.check(H), Pass::Open, "one probe at a time");
        assert_eq!(
            b.check_retry(H, Pass::Probe),
            Pass::Probe,
            "the probe may retry"
        );
        b.report(H, Pass::Probe, Health::Answered);
        assert_eq!(b.check(H), Pass::Closed);
        assert_eq!(b.open_now(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn failed_probe_restarts_the_cooldown() {
        let b = Breakers::new(2, Duration::from_secs(10));
        b.report(H, Pass::Closed, Health::Failed);
        b.report(H, Pass::Closed, Health::Failed);
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(b.check(H), Pass::Probe);
        tokio::time::advance(Duration::from_secs(3)).await;
        b.report(H, Pass::Probe, Health::Failed);
        tokio::time::advance(Duration::from_secs(9)).await;
        assert_eq!(
            b.check(H),
            Pass::Open,
            "cooldown restarted at the failed probe"
        );
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(b.check(H), Pass::Probe);
    }

    #[tokio::test(start_paused = true)]
    async fn late_outcomes_do_not_move_an_open_circuit() {
        let b = Breakers::new(1, Duration::from_secs(10));
        b.report(H, Pass::Closed, Health::Failed);
        // A request sent before the trip answers afterwards.
        b.report(H, Pass::Closed, Health::Answered);
        assert_eq!(b.check(H), Pass::Open);
        assert_eq!(
            b.check_retry(H, Pass::Closed),
            Pass::Open,
            "retries stop too"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_endless_cooldown_does_not_overflow_the_clock() {
        let b = Breakers::new(1, Duration::MAX);
        b.report(H, Pass::Closed, Health::Failed);
        assert_eq!(b.check(H), Pass::Open);
    }

    #[test]
    fn retry_budget_has_a_floor_and_grows_with_first_attempts() {
        let budget = RetryBudget::new(10.0);
        let granted = (0..50).filter(|_| budget.try_retry()).count();
        assert_eq!(granted, 10, "the floor");
        assert_eq!(budget.refused(), 40);
        for _ in 0..200 {
            budget.first_attempt();
        }
        let granted = (0..50).filter(|_| budget.try_retry()).count();
        assert_eq!(granted, 10, "10% of 200 is 20 in all");
        assert_eq!(budget.retries(), 20);
        assert_eq!(budget.refused(), 80);
    }

    #[test]
    fn zero_percent_still_allows_the_floor() {
        let budget = RetryBudget::new(0.0);
        for _ in 0..1000 {
            budget.first_attempt();
        }
        assert_eq!((0..20).filter(|_| budget.try_retry()).count(), 10);
    }
}
