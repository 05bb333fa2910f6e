//! Answering throttling: per-host concurrency limits that find themselves
//! (the AIMD rule in `aimd.rs`), and the pause a `Retry-After` asks for.
//!
//! Three modes ([`Adapt`]):
//! - `Always` (`--adaptive`): every host adapts from its first request,
//!   from a slow start at 2.
//! - `OnThrottle` (the default): a host is not limited until it answers
//!   429 or 503; from then on it adapts as under `--adaptive`, starting
//!   from half the requests it had in flight at that moment.
//! - `Fixed` (`--no-adaptive`): limits never adapt.
//!
//! In every mode a `Retry-After` on a 429 or 503 pauses its host — no
//! request to it starts — for that long, capped at `--backoff-max`.
//!
//! Every attempt takes one of its host's permits and gives it back with
//! what the answer said: a success grows an adapting limit, a congestion
//! signal (a 429 or 503, a timeout, a connect error) cuts it. Waiting for a
//! permit holds nothing else.
//!
//! Cost: until the run's first 429 or 503, `OnThrottle` and `Fixed` keep
//! no table at all ([`Adaptive::active`] is false and admission does not
//! look here); from then on every host is kept, so the next host's first
//! throttle knows what it had in flight. The table forgets idle hosts
//! beyond [`MAX_IDLE_HOSTS`], so memory stays bounded on lists of millions
//! of hosts.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::aimd::Aimd;
use super::later;
pub use super::signal::Signal;
pub use crate::config::Adapt;

/// Hosts kept once they are idle; past this, idle hosts are forgotten.
pub const MAX_IDLE_HOSTS: usize = 10_000;

/// When a paused host reopens, URLs waiting for it go in groups this far
/// apart, fewest attempts left first, each at a random moment within its
/// group: the host is not met by a burst the moment it reopens, and the
/// URLs closest to giving up get the first chance (the first answers after
/// a pause are the likeliest to be accepted).
pub const REOPEN_STEP: Duration = Duration::from_millis(20);

struct Host {
    state: Mutex<State>,
    /// Woken when a permit comes back, the limit grows or a pause ends.
    changed: Notify,
}

struct State {
    /// The limit, once the host adapts (`None`: not limited here).
    aimd: Option<Aimd>,
    in_flight: u32,
    paused_until: Option<Instant>,
    /// After a pause: how many may be in flight while the host reopens —
    /// 1, then one more per accepted answer, until the limit is reached
    /// (`None`). A host that reopens to a burst would answer 429 again.
    reopening: Option<u32>,
    /// Attempts started, for the busiest hosts in metrics.
    requests: u64,
    /// 429 and 503 answers, for the summary's hint.
    throttled: u64,
}

impl State {
    /// Whether another request may start: under the adaptive limit, and
    /// under the reopening one after a pause.
    fn has_room(&self) -> bool {
        let limit = self.aimd.as_ref().map_or(u32::MAX, Aimd::limit);
        self.in_flight < limit.min(self.reopening.unwrap_or(u32::MAX))
    }
}

/// The adaptive limits and pauses of all hosts of a run.
pub struct Adaptive {
    mode: Adapt,
    max: u32,
    pause_max: Duration,
    /// Whether admission asks this table: from the start with `Always`,
    /// else from the run's first 429 or 503.
    active: AtomicBool,
    hosts: Mutex<HashMap<String, Arc<Host>>>,
}

/// One attempt's permit; give it back with [`HostPermit::done`], or drop
/// it (a cancelled attempt says nothing).
pub struct HostPermit<'a> {
    host: Arc<Host>,
    epoch: u64,
    owner: &'a Adaptive,
    key: String,
}

/// A host that answered 429 or 503 to a good share of its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttled {
    /// The host and port.
    pub host: String,
    /// Its 429 and 503 answers.
    pub throttled: u64,
    /// Its requests (counted from the run's first throttling answer).
    pub requests: u64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Adaptive {
    /// Limits in `mode` that never exceed `max`; a pause never lasts longer
    /// than `pause_max`.
    pub fn new(mode: Adapt, max: usize, pause_max: Duration) -> Adaptive {
        Adaptive {
            mode,
            max: u32::try_from(max).unwrap_or(u32::MAX),
            pause_max,
            active: AtomicBool::new(mode == Adapt::Always),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// The mode.
    pub fn mode(&self) -> Adapt {
        self.mode
    }

    /// Whether admission must ask this table (see the module's "Cost").
    pub fn active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    fn host(&self, key: &str) -> Arc<Host> {
        lock(&self.hosts)
            .entry(key.to_owned())
            .or_insert_with(|| {
                Arc::new(Host {
                    state: Mutex::new(State {
                        aimd: (self.mode == Adapt::Always).then(|| Aimd::new(self.max)),
                        in_flight: 0,
                        paused_until: None,
                        reopening: None,
                        requests: 0,
                        throttled: 0,
                    }),
                    changed: Notify::new(),
                })
            })
            .clone()
    }

    /// Waits until `key` is not paused and has a free permit, and takes it.
    pub async fn acquire(&self, key: &str) -> HostPermit<'_> {
        self.acquire_with(key, 0).await
    }

    /// [`Adaptive::acquire`] for a URL with `left` attempts after this one:
    /// after a pause it goes `left` [`REOPEN_STEP`]s later than a URL on
    /// its last attempt.
    pub async fn acquire_with(&self, key: &str, left: u32) -> HostPermit<'_> {
        let host = self.host(key);
        let step = REOPEN_STEP.as_micros() as u64;
        let stagger = Duration::from_micros(
            step.saturating_mul(u64::from(left.min(100))) + rand::random_range(0..step),
        );
        loop {
            let changed = host.changed.notified();
            tokio::pin!(changed);
            // Registered before the check, so a change in between wakes us.
            changed.as_mut().enable();
            let pause = {
                let mut st = lock(&host.state);
                match st.paused_until {
                    Some(until) if Instant::now() < later(until, stagger) => Some(until),
                    _ => {
                        if st.has_room() {
                            st.in_flight += 1;
                            st.requests += 1;
                            let epoch = st.aimd.as_ref().map_or(0, Aimd::epoch);
                            drop(st);
                            return HostPermit {
                                host: host.clone(),
                                epoch,
                                owner: self,
                                key: key.to_owned(),
                            };
                        }
                        None
                    }
                }
            };
            match pause {
                Some(until) => {
                    // Whichever first: the pause ends (for this URL's group),
                    // or something changed.
                    tokio::select! {
                        () = tokio::time::sleep_until(later(until, stagger)) => {}
                        () = &mut changed => {}
                    }
                }
                None => changed.await,
            }
        }
    }

    /// A permit for `key` if one is free now (not paused, under its limit).
    pub fn try_acquire(&self, key: &str) -> Option<HostPermit<'_>> {
        let host = self.host(key);
        let mut st = lock(&host.state);
        let paused = st.paused_until.is_some_and(|until| Instant::now() < until);
        if paused || !st.has_room() {
            return None;
        }
        st.in_flight += 1;
        st.requests += 1;
        let epoch = st.aimd.as_ref().map_or(0, Aimd::epoch);
        drop(st);
        Some(HostPermit {
            host,
            epoch,
            owner: self,
            key: key.to_owned(),
        })
    }

    /// A 429 or 503 to an attempt admitted before this table was active
    /// (so it holds no permit): from now on admission asks the table, and
    /// `key` is throttled as if it had had `in_flight` requests in flight.
    pub fn throttled_unadmitted(&self, key: &str, retry_after: Option<Duration>, in_flight: u64) {
        self.active.store(true, Ordering::Relaxed);
        let host = self.host(key);
        let mut st = lock(&host.state);
        let in_flight = u32::try_from(in_flight)
            .unwrap_or(u32::MAX)
            .max(st.in_flight);
        self.throttle(key, &mut st, None, in_flight, retry_after);
        drop(st);
        host.changed.notify_waiters();
    }

    /// What a 429 or 503 does to its host's state: start adapting (or cut),
    /// and pause for `retry_after`. `epoch` is the round the answered
    /// request started in (`None`: before the host was known).
    fn throttle(
        &self,
        key: &str,
        st: &mut State,
        epoch: Option<u64>,
        in_flight: u32,
        retry_after: Option<Duration>,
    ) {
        st.throttled += 1;
        match (&mut st.aimd, self.mode) {
            (None, Adapt::OnThrottle | Adapt::Always) => {
                let aimd = Aimd::throttled(self.max, in_flight);
                tracing::debug!(host = %key, limit = aimd.limit(), "throttled: adapting from now on");
                st.aimd = Some(aimd);
            }
            (Some(aimd), _) => {
                if epoch.is_some_and(|e| aimd.signal(e)) {
                    tracing::debug!(host = %key, limit = aimd.limit(), "adaptive limit cut");
                }
            }
            (None, Adapt::Fixed) => {}
        }
        if let Some(wait) = retry_after {
            let until = later(Instant::now(), wait.min(self.pause_max));
            st.paused_until = Some(st.paused_until.map_or(until, |u| u.max(until)));
            if st.aimd.is_some() {
                st.reopening = Some(1);
            }
        }
    }

    /// `(host, limit)` of the `n` adapting hosts with the most attempts,
    /// busiest first (for metrics and the summary).
    pub fn busiest(&self, n: usize) -> Vec<(String, u32, u64)> {
        let hosts = lock(&self.hosts);
        let mut rows: Vec<(String, u32, u64)> = hosts
            .iter()
            .filter_map(|(k, h)| {
                let st = lock(&h.state);
                Some((k.clone(), st.aimd.as_ref()?.limit(), st.requests))
            })
            .collect();
        rows.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        rows.truncate(n);
        rows
    }

    /// The current limit of `key`, if the host adapts.
    pub fn limit_of(&self, key: &str) -> Option<u32> {
        let hosts = lock(&self.hosts);
        let host = hosts.get(key)?;
        let limit = lock(&host.state).aimd.as_ref()?.limit();
        Some(limit)
    }

    /// Hosts that answered 429 or 503 to at least a fifth of their
    /// requests (and at least 5 times), most throttled first, at most `n`.
    pub fn most_throttled(&self, n: usize) -> Vec<Throttled> {
        let hosts = lock(&self.hosts);
        let mut rows: Vec<Throttled> = hosts
            .iter()
            .filter_map(|(k, h)| {
                let st = lock(&h.state);
                let requests = st.requests.max(st.throttled);
                (st.throttled >= 5 && st.throttled * 5 >= requests).then(|| Throttled {
                    host: k.clone(),
                    throttled: st.throttled,
                    requests,
                })
            })
            .collect();
        rows.sort_by(|a, b| {
            b.throttled
                .cmp(&a.throttled)
                .then_with(|| a.host.cmp(&b.host))
        });
        rows.truncate(n);
        rows
    }
}

impl HostPermit<'_> {
    /// Whether the host is paused now (a `Retry-After` came while this
    /// permit's URL waited for its slot).
    pub fn paused(&self) -> bool {
        let st = lock(&self.host.state);
        st.paused_until.is_some_and(|u| Instant::now() < u)
    }

    /// Whether the host's limit adapts.
    pub fn adapting(&self) -> bool {
        lock(&self.host.state).aimd.is_some()
    }

    /// Gives the permit back with what the attempt's outcome said.
    pub fn done(self, signal: Signal) {
        let mut st = lock(&self.host.state);
        match signal {
            Signal::Success => {
                if let Some(aimd) = st.aimd.as_mut() {
                    aimd.success();
                    let limit = aimd.limit();
                    st.reopening = st.reopening.map(|n| n + 1).filter(|n| *n < limit);
                }
            }
            Signal::Throttled(retry_after) => {
                let in_flight = st.in_flight;
                self.owner
                    .throttle(&self.key, &mut st, Some(self.epoch), in_flight, retry_after);
            }
            Signal::Congestion => {
                if let Some(aimd) = st.aimd.as_mut() {
                    if aimd.signal(self.epoch) {
                        tracing::debug!(host = %self.key, limit = aimd.limit(), "adaptive limit cut");
                    }
                }
            }
            Signal::Neutral => {}
        }
        // Dropping `self` gives the permit back and wakes the waiters.
    }
}

impl Drop for HostPermit<'_> {
    fn drop(&mut self) {
        let idle = {
            let mut st = lock(&self.host.state);
            st.in_flight -= 1;
            // A paused host is kept until its pause ends: forgetting it
            // would forget the server's Retry-After.
            let paused = st.paused_until.is_some_and(|u| Instant::now() < u);
            st.in_flight == 0 && !paused
        };
        self.host.changed.notify_waiters();
        if idle {
            let mut hosts = lock(&self.owner.hosts);
            // Only the map and this permit hold it: nobody waits for it.
            if hosts.len() > MAX_IDLE_HOSTS && Arc::strong_count(&self.host) == 2 {
                hosts.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "h:80";

    #[tokio::test(start_paused = true)]
    async fn permits_follow_the_limit() {
        let a = Adaptive::new(Adapt::Always, 64, Duration::from_secs(10));
        let p1 = a.acquire(H).await;
        let _p2 = a.acquire(H).await;
        let mut third = Box::pin(a.acquire(H));
        assert!(futures::poll!(third.as_mut()).is_pending(), "limit 2");
        // A success grows the limit to 3 and frees a permit.
        p1.done(Signal::Success);
        let _p3 = third.await;
        assert_eq!(a.limit_of(H), Some(3));
        let _p4 = a.acquire(H).await;
        let mut fifth = Box::pin(a.acquire(H));
        assert!(futures::poll!(fifth.as_mut()).is_pending(), "limit 3");
    }

    #[tokio::test(start_paused = true)]
    async fn congestion_cuts_once_per_round() {
        let a = Adaptive::new(Adapt::Always, 64, Duration::from_secs(10));
        for _ in 0..14 {
            a.acquire(H).await.done(Signal::Success);
        }
        assert_eq!(a.limit_of(H), Some(16));
        let permits: Vec<_> = futures::future::join_all((0..16).map(|_| a.acquire(H))).await;
        for p in permits {
            p.done(Signal::Congestion);
        }
        assert_eq!(a.limit_of(H), Some(8));
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_pauses_the_host_up_to_the_cap() {
        let a = Adaptive::new(Adapt::Always, 64, Duration::from_secs(2));
        let start = Instant::now();
        a.acquire(H)
            .await
            .done(Signal::Throttled(Some(Duration::from_secs(1))));
        let _next = a.acquire(H).await;
        // After the pause, within the first reopening group.
        let waited = start.elapsed() - Duration::from_secs(1);
        assert!(waited < REOPEN_STEP, "{waited:?}");
        // Another host is not paused.
        let t = Instant::now();
        let _other = a.acquire("other:80").await;
        assert_eq!(t.elapsed(), Duration::ZERO);
        // A Retry-After longer than the cap pauses for the cap.
        drop(_next);
        a.acquire(H)
            .await
            .done(Signal::Throttled(Some(Duration::from_secs(3600))));
        let t = Instant::now();
        let _after = a.acquire(H).await;
        let waited = t.elapsed() - Duration::from_secs(2);
        assert!(waited < REOPEN_STEP, "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_host_reopens_fewest_attempts_left_first_one_request_at_a_time() {
        let a = Adaptive::new(Adapt::Always, 64, Duration::from_secs(10));
        for _ in 0..30 {
            a.acquire(H).await.done(Signal::Success);
        }
        assert_eq!(a.limit_of(H), Some(32));
        a.acquire(H)
            .await
            .done(Signal::Throttled(Some(Duration::from_secs(1))));
        let start = Instant::now();
        // Three URLs wait: with 2, 0 and 1 attempts left.
        let order = Arc::new(Mutex::new(Vec::new()));
        let wait = |left: u32| {
            let (a, order) = (&a, order.clone());
            async move {
                let permit = a.acquire_with(H, left).await;
                let at = start.elapsed();
                lock(&order).push((left, at));
                // Each answer comes back 1 ms later, accepted.
                tokio::time::sleep(Duration::from_millis(1)).await;
                permit.done(Signal::Success);
            }
        };
        futures::future::join3(wait(2), wait(0), wait(1)).await;
        let order = lock(&order).clone();
        let lefts: Vec<u32> = order.iter().map(|(l, _)| *l).collect();
        assert_eq!(lefts, [0, 1, 2], "fewest attempts left first");
        for (left, at) in order {
            // Within its group, or just after it when the one before it
            // (one request at a time while reopening) was still answering.
            let group = Duration::from_secs(1) + REOPEN_STEP * left;
            let late = REOPEN_STEP + Duration::from_millis(2);
            assert!(at >= group && at < group + late, "{left}: {at:?}");
        }
        // Reopening: one in flight at first, one more per accepted answer.
        a.acquire(H)
            .await
            .done(Signal::Throttled(Some(Duration::from_secs(1))));
        tokio::time::advance(Duration::from_secs(2)).await;
        let first = a.acquire(H).await;
        let mut second = Box::pin(a.acquire(H));
        assert!(
            futures::poll!(second.as_mut()).is_pending(),
            "one at a time"
        );
        first.done(Signal::Success);
        let _second = second.await;
        let _third = a.acquire(H).await;
    }

    #[tokio::test(start_paused = true)]
    async fn busiest_hosts_first() {
        let a = Adaptive::new(Adapt::Always, 8, Duration::from_secs(1));
        for _ in 0..3 {
            a.acquire("b:80").await.done(Signal::Success);
        }
        a.acquire("a:80").await.done(Signal::Success);
        let rows = a.busiest(10);
        assert_eq!(rows[0].0, "b:80");
        assert_eq!(rows[0].1, 5);
        assert_eq!(rows[1], ("a:80".to_owned(), 3, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn by_default_a_host_is_not_limited_until_it_throttles() {
        let a = Adaptive::new(Adapt::OnThrottle, 64, Duration::from_secs(10));
        assert!(!a.active(), "no table before the first 429 or 503");
        // Admitted before anything throttled: no permits are kept. The
        // first 429 comes while 20 requests are in flight.
        a.throttled_unadmitted(H, None, 20);
        assert!(a.active());
        assert_eq!(a.limit_of(H), Some(10), "half of what was in flight");
        let permits: Vec<_> = futures::future::join_all((0..10).map(|_| a.acquire(H))).await;
        let mut next = Box::pin(a.acquire(H));
        assert!(futures::poll!(next.as_mut()).is_pending(), "limit 10");
        drop(permits);
        drop(next);
        // Another host that never throttles is not limited.
        let many: Vec<_> = futures::future::join_all((0..100).map(|_| a.acquire("b:80"))).await;
        assert_eq!(a.limit_of("b:80"), None);
        // Its first 429 adapts it from half of its 100 in flight.
        let mut many = many.into_iter();
        many.next().unwrap().done(Signal::Throttled(None));
        assert_eq!(a.limit_of("b:80"), Some(50));
        // Answers to requests of that same round do not cut again.
        many.next().unwrap().done(Signal::Throttled(None));
        assert_eq!(a.limit_of("b:80"), Some(50));
    }

    #[tokio::test(start_paused = true)]
    async fn fixed_limits_never_adapt_but_retry_after_still_pauses() {
        let a = Adaptive::new(Adapt::Fixed, 64, Duration::from_secs(10));
        a.throttled_unadmitted(H, Some(Duration::from_secs(1)), 20);
        assert_eq!(a.limit_of(H), None);
        let start = Instant::now();
        let p = a.acquire(H).await;
        let waited = start.elapsed() - Duration::from_secs(1);
        assert!(waited < REOPEN_STEP, "paused: {waited:?}");
        p.done(Signal::Throttled(None));
        let _more: Vec<_> = futures::future::join_all((0..100).map(|_| a.acquire(H))).await;
        assert_eq!(a.limit_of(H), None, "never limited");
    }

    #[tokio::test(start_paused = true)]
    async fn hosts_throttled_a_good_share_are_named() {
        let a = Adaptive::new(Adapt::OnThrottle, 64, Duration::from_secs(10));
        a.throttled_unadmitted(H, None, 1);
        for i in 0..20 {
            let signal = match i % 2 {
                0 => Signal::Throttled(None),
                _ => Signal::Success,
            };
            a.acquire(H).await.done(signal);
            a.acquire("fine:80").await.done(Signal::Success);
        }
        let named = a.most_throttled(3);
        assert_eq!(named.len(), 1, "{named:?}");
        assert_eq!(named[0].host, H);
        assert_eq!((named[0].throttled, named[0].requests), (11, 20));
    }
}
