//! `--adaptive`: a per-host concurrency limit that finds itself (the AIMD
//! rule in `aimd.rs`), and the pause a `Retry-After` asks for.
//!
//! Every attempt takes one of its host's permits and gives it back with
//! what the answer said: a success grows the limit, a congestion signal (a
//! 429 or 503, a timeout, a connect error) cuts it, and a `Retry-After` on
//! a 429 or 503 pauses the host — no request to it starts — for that long,
//! capped at `--backoff-max`. Waiting for a permit holds nothing else.
//!
//! The table keeps every host's learned limit; idle hosts beyond
//! [`MAX_IDLE_HOSTS`] are forgotten, so memory stays bounded on lists of
//! millions of hosts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::aimd::Aimd;
use crate::outcome::Observed;
use crate::record::ErrorKind;

/// Hosts kept once they are idle; past this, idle hosts are forgotten.
pub const MAX_IDLE_HOSTS: usize = 10_000;

/// What an attempt's outcome says about congestion at its host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// The host answered well: grow.
    Success,
    /// The host is congested: cut, and pause for a `Retry-After` if given.
    Congestion(Option<Duration>),
    /// Says nothing (DNS, TLS, a cut-off body, the run stopping).
    Neutral,
}

impl Signal {
    /// The signal of an attempt's outcome.
    pub fn of(observed: Observed) -> Signal {
        match observed {
            Observed::Status {
                code: 429 | 503,
                retry_after,
            } => Signal::Congestion(retry_after),
            Observed::Status { .. } => Signal::Success,
            Observed::Failure {
                kind: ErrorKind::Timeout | ErrorKind::Connect,
                ..
            } => Signal::Congestion(None),
            Observed::Failure { .. } => Signal::Neutral,
        }
    }
}

struct Host {
    state: Mutex<State>,
    /// Woken when a permit comes back, the limit grows or a pause ends.
    changed: Notify,
}

struct State {
    aimd: Aimd,
    in_flight: u32,
    paused_until: Option<Instant>,
    /// Attempts started, for the busiest hosts in metrics.
    requests: u64,
}

/// The adaptive limits of all hosts of a run.
pub struct Adaptive {
    max: u32,
    pause_max: Duration,
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Adaptive {
    /// Limits that never exceed `max`; a pause never lasts longer than
    /// `pause_max`.
    pub fn new(max: usize, pause_max: Duration) -> Adaptive {
        Adaptive {
            max: u32::try_from(max).unwrap_or(u32::MAX),
            pause_max,
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits until `key` is not paused and has a free permit, and takes it.
    pub async fn acquire(&self, key: &str) -> HostPermit<'_> {
        let host = lock(&self.hosts)
            .entry(key.to_owned())
            .or_insert_with(|| {
                Arc::new(Host {
                    state: Mutex::new(State {
                        aimd: Aimd::new(self.max),
                        in_flight: 0,
                        paused_until: None,
                        requests: 0,
                    }),
                    changed: Notify::new(),
                })
            })
            .clone();
        loop {
            let changed = host.changed.notified();
            tokio::pin!(changed);
            // Registered before the check, so a change in between wakes us.
            changed.as_mut().enable();
            let pause = {
                let mut st = lock(&host.state);
                match st.paused_until {
                    Some(until) if Instant::now() < until => Some(until),
                    _ => {
                        st.paused_until = None;
                        if st.in_flight < st.aimd.limit() {
                            st.in_flight += 1;
                            st.requests += 1;
                            let epoch = st.aimd.epoch();
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
                    // Whichever first: the pause ends, or something changed.
                    tokio::select! {
                        () = tokio::time::sleep_until(until) => {}
                        () = &mut changed => {}
                    }
                }
                None => changed.await,
            }
        }
    }

    /// `(host, limit)` of the `n` hosts with the most attempts, busiest
    /// first (for metrics and the summary).
    pub fn busiest(&self, n: usize) -> Vec<(String, u32, u64)> {
        let hosts = lock(&self.hosts);
        let mut rows: Vec<(String, u32, u64)> = hosts
            .iter()
            .map(|(k, h)| {
                let st = lock(&h.state);
                (k.clone(), st.aimd.limit(), st.requests)
            })
            .collect();
        rows.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        rows.truncate(n);
        rows
    }

    /// The current limit of `key`, if the host is known.
    pub fn limit_of(&self, key: &str) -> Option<u32> {
        let hosts = lock(&self.hosts);
        let host = hosts.get(key)?;
        let limit = lock(&host.state).aimd.limit();
        Some(limit)
    }
}

impl HostPermit<'_> {
    /// Gives the permit back with what the attempt's outcome said.
    pub fn done(self, signal: Signal) {
        let mut st = lock(&self.host.state);
        match signal {
            Signal::Success => st.aimd.success(),
            Signal::Congestion(retry_after) => {
                if st.aimd.signal(self.epoch) {
                    tracing::debug!(host = %self.key, limit = st.aimd.limit(), "adaptive limit cut");
                }
                if let Some(wait) = retry_after {
                    let until = Instant::now() + wait.min(self.owner.pause_max);
                    st.paused_until = Some(st.paused_until.map_or(until, |u| u.max(until)));
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
            st.in_flight == 0
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
        let a = Adaptive::new(64, Duration::from_secs(10));
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
        let a = Adaptive::new(64, Duration::from_secs(10));
        for _ in 0..14 {
            a.acquire(H).await.done(Signal::Success);
        }
        assert_eq!(a.limit_of(H), Some(16));
        let permits: Vec<_> = futures::future::join_all((0..16).map(|_| a.acquire(H))).await;
        for p in permits {
            p.done(Signal::Congestion(None));
        }
        assert_eq!(a.limit_of(H), Some(8));
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_pauses_the_host_up_to_the_cap() {
        let a = Adaptive::new(64, Duration::from_secs(2));
        let start = Instant::now();
        a.acquire(H)
            .await
            .done(Signal::Congestion(Some(Duration::from_secs(1))));
        let _next = a.acquire(H).await;
        assert_eq!(start.elapsed(), Duration::from_secs(1));
        // Another host is not paused.
        let t = Instant::now();
        let _other = a.acquire("other:80").await;
        assert_eq!(t.elapsed(), Duration::ZERO);
        // A Retry-After longer than the cap pauses for the cap.
        drop(_next);
        a.acquire(H)
            .await
            .done(Signal::Congestion(Some(Duration::from_secs(3600))));
        let t = Instant::now();
        let _after = a.acquire(H).await;
        assert_eq!(t.elapsed(), Duration::from_secs(2));
    }

    #[test]
    fn signals_from_outcomes() {
        let status = |code, retry_after| Signal::of(Observed::Status { code, retry_after });
        let fail = |kind| {
            Signal::of(Observed::Failure {
                kind,
                maybe_sent: true,
                permanent: false,
            })
        };
        let one = Some(Duration::from_secs(1));
        assert_eq!(status(429, one), Signal::Congestion(one));
        assert_eq!(status(503, None), Signal::Congestion(None));
        assert_eq!(status(200, None), Signal::Success);
        assert_eq!(status(404, None), Signal::Success);
        assert_eq!(fail(ErrorKind::Timeout), Signal::Congestion(None));
        assert_eq!(fail(ErrorKind::Connect), Signal::Congestion(None));
        assert_eq!(fail(ErrorKind::Dns), Signal::Neutral);
        assert_eq!(fail(ErrorKind::Tls), Signal::Neutral);
    }

    #[tokio::test(start_paused = true)]
    async fn busiest_hosts_first() {
        let a = Adaptive::new(8, Duration::from_secs(1));
        for _ in 0..3 {
            a.acquire("b:80").await.done(Signal::Success);
        }
        a.acquire("a:80").await.done(Signal::Success);
        let rows = a.busiest(10);
        assert_eq!(rows[0].0, "b:80");
        assert_eq!(rows[0].1, 5);
        assert_eq!(rows[1], ("a:80".to_owned(), 3, 1));
    }
}
