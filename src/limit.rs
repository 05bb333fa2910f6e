//! Politeness: at most N in flight per host (`--per-host`) and at most R
//! request starts per second overall (`--rate`).
//!
//! Kept apart from the pipeline because both are waits that must not hold
//! anything another host could use: a URL waiting for its busy host holds
//! neither a host permit nor one of the `-c` slots, so other hosts keep
//! flowing. With neither flag given, nothing here runs at all.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Url;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The host key: host and port, as the SPEC defines a host.
pub fn host_key(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// Per-host limits on top of the global concurrency bound.
///
/// The pipeline lets more URLs wait than it runs (see `run.rs`); each first
/// takes its host's permit, then one of the `concurrency` global permits.
pub struct PerHost {
    limit: usize,
    global: Arc<Semaphore>,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// Permission to run one URL: held for all its attempts.
pub struct Admission {
    // Field order is drop order: the global slot goes first.
    _global: OwnedSemaphorePermit,
    host: Option<(String, Arc<Semaphore>, OwnedSemaphorePermit)>,
    owner: Arc<PerHost>,
}

impl PerHost {
    /// At most `limit` per host and `concurrency` overall.
    pub fn new(limit: usize, concurrency: usize) -> Arc<PerHost> {
        Arc::new(PerHost {
            limit: limit.min(Semaphore::MAX_PERMITS),
            global: Arc::new(Semaphore::new(concurrency.min(Semaphore::MAX_PERMITS))),
            hosts: Mutex::new(HashMap::new()),
        })
    }

    /// Waits for a permit of `url`'s host, then for a global one.
    pub async fn admit(self: &Arc<Self>, url: Option<&Url>) -> Admission {
        let host = match url {
            Some(url) => {
                let key = host_key(url);
                let sem = self
                    .hosts
                    .lock()
                    .expect("host map lock")
                    .entry(key.clone())
                    .or_insert_with(|| Arc::new(Semaphore::new(self.limit)))
                    .clone();
                let permit = sem.clone().acquire_owned().await.expect("never closed");
                Some((key, sem, permit))
            }
            // No request will be made (an invalid URL): no host to limit.
            None => None,
        };
        let global = self
            .global
            .clone()
            .acquire_owned()
            .await
            .expect("never closed");
        Admission {
            _global: global,
            host,
            owner: self.clone(),
        }
    }

    /// Hosts with a semaphore right now (for tests: idle hosts are dropped).
    pub fn tracked_hosts(&self) -> usize {
        self.hosts.lock().expect("host map lock").len()
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        let Some((key, sem, permit)) = self.host.take() else {
            return;
        };
        drop(permit);
        // Forget a host nobody is using or waiting for, so memory follows
        // the hosts in flight, not every host ever seen. Clones are only
        // made under the lock, so the count cannot grow behind our back.
        let mut hosts = self.owner.hosts.lock().expect("host map lock");
        if Arc::strong_count(&sem) == 2 {
            hosts.remove(&key);
        }
    }
}

/// Longer than any run; stands in for durations too long to add to a clock.
const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Spaces request starts evenly: at most one per `interval`, so never more
/// than R in any second (no burst at the start).
pub struct Pacer {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    /// One start per `interval`.
    pub fn new(interval: Duration) -> Pacer {
        Pacer {
            interval,
            next: Mutex::new(None),
        }
    }

    /// Waits for the next free start time and takes it.
    pub async fn wait(&self) {
        let at = {
            let mut next = self.next.lock().expect("pacer lock");
            let now = Instant::now();
            let at = next.map_or(now, |n| n.max(now));
            // An interval too long to add to the clock: no further start.
            *next = Some(at.checked_add(self.interval).unwrap_or(at + FOREVER));
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn pacer_spaces_starts_evenly() {
        let pacer = Pacer::new(Duration::from_millis(100));
        let start = Instant::now();
        let mut at = Vec::new();
        for _ in 0..5 {
            pacer.wait().await;
            at.push(start.elapsed().as_millis());
        }
        assert_eq!(at, [0, 100, 200, 300, 400]);
        // After a pause, no burst to catch up.
        tokio::time::advance(Duration::from_secs(5)).await;
        let t = Instant::now();
        pacer.wait().await;
        pacer.wait().await;
        assert_eq!(t.elapsed(), Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_waiters_get_distinct_slots() {
        let pacer = Arc::new(Pacer::new(Duration::from_millis(50)));
        let start = Instant::now();
        let waits = (0..4).map(|_| {
            let p = pacer.clone();
            async move {
                p.wait().await;
                start.elapsed().as_millis()
            }
        });
        let mut at = futures::future::join_all(waits).await;
        at.sort();
        assert_eq!(at, [0, 50, 100, 150]);
    }

    #[tokio::test(start_paused = true)]
    async fn absurd_rates_and_limits_do_not_panic() {
        let pacer = Pacer::new(Duration::MAX);
        pacer.wait().await;
        let mut second = Box::pin(pacer.wait());
        assert!(futures::poll!(second.as_mut()).is_pending());
        let limits = PerHost::new(usize::MAX, usize::MAX);
        let _ = limits.admit(Some(&Url::parse("http://a/").unwrap())).await;
    }

    #[test]
    fn host_keys_include_the_port() {
        let key = |s: &str| host_key(&Url::parse(s).unwrap());
        assert_eq!(key("http://a.example/x"), "a.example:80");
        assert_eq!(key("https://a.example/x"), "a.example:443");
        assert_eq!(key("https://a.example:443/"), "a.example:443");
        assert_eq!(key("http://127.0.0.1:8080/"), "127.0.0.1:8080");
    }

    #[tokio::test]
    async fn per_host_limits_one_host_and_forgets_idle_ones() {
        let limits = PerHost::new(2, 10);
        let a = Url::parse("http://a/").unwrap();
        let b = Url::parse("http://b/").unwrap();
        let a1 = limits.admit(Some(&a)).await;
        let _a2 = limits.admit(Some(&a)).await;
        // A third for host a must wait; host b goes ahead meanwhile.
        let mut a3 = Box::pin(limits.admit(Some(&a)));
        assert!(futures::poll!(a3.as_mut()).is_pending());
        let b1 = limits.admit(Some(&b)).await;
        drop(a1);
        let _a3 = a3.await;
        drop(b1);
        assert_eq!(limits.tracked_hosts(), 1, "idle host b is forgotten");
    }
}
