//! `--host-rate R` and `--rate-for HOST R`: at most R request starts per
//! second to each host (its host name, any port: `values::host_name`),
//! retries and redirect hops included, across all fetch threads (one table
//! for the run).
//!
//! A start is *reserved* just before its request goes out: the host's next
//! free start time is taken and moved one interval on, under one lock, so
//! no two starts to a host are ever closer than its interval, whoever makes
//! them (a URL's attempt, a redirect hop) and however long each waited
//! before. That is the rule; the rest keeps waiting cheap:
//!
//! - A URL waits for its host's *turn* (a queue of one per host) and then
//!   for the host's next start to come, before it asks for a `-c` slot
//!   (`mod.rs`): a URL waiting for its host holds no slot, and only the
//!   one URL whose turn it is goes on to take a slot, so a thousand URLs
//!   of one host neither hold a thousand slots nor wake together at each
//!   start. It gives its turn up once it has reserved its start.
//! - A redirect hop reserves its start without a turn (it holds a slot
//!   already; queueing behind a URL that waits for a slot could wait for
//!   itself) and waits for it inside its attempt.
//!
//! Starts are spaced evenly (a burst of one), so no second, nor any 0.9 s
//! window, holds more than R starts to one host.
//!
//! Not the `governor` crate: its keyed limiter checks and consumes in one
//! step, with no way to wait for a host without consuming its start, which
//! the turn above needs; and its clock is not tokio's, so paused-time
//! tests could not drive it.
//!
//! Memory: a host's entry is kept while its turn is held or waited for, or
//! until its next start time has passed; after that it says nothing (the
//! next start may go at once) and is forgotten. The table is swept when it
//! has doubled since the last sweep, so it stays about twice the hosts
//! started within the last interval, on lists of millions of hosts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::later;
use crate::values::{HostRules, Rate};

/// Hosts the table may hold before its first sweep.
const FIRST_SWEEP: usize = 1024;

/// The pacing of every host of a run.
pub struct HostRates {
    /// `--host-rate`: every host's interval, unless it has its own.
    default: Option<Rate>,
    /// `--rate-for`: hosts with their own.
    own: HostRules<Rate>,
    table: Mutex<Table>,
}

struct Table {
    hosts: HashMap<Box<str>, Entry>,
    /// Sweep when the table holds this many hosts.
    sweep_at: usize,
}

struct Entry {
    /// The earliest the host's next request may start.
    next: Instant,
    /// One permit: whose turn it is to take a slot and start.
    turn: Arc<Semaphore>,
}

/// A URL's turn at its host: no other URL of the host goes on to take a
/// slot until it is dropped (after its start is reserved).
pub struct Turn {
    _permit: OwnedSemaphorePermit,
}

impl HostRates {
    /// The rates asked for; `None` when neither flag is given, so a run
    /// without them keeps no table and asks nothing.
    pub fn new(default: Option<Rate>, own: &HostRules<Rate>) -> Option<HostRates> {
        (default.is_some() || !own.is_empty()).then(|| HostRates {
            default,
            own: own.clone(),
            table: Mutex::new(Table {
                hosts: HashMap::new(),
                sweep_at: FIRST_SWEEP,
            }),
        })
    }

    /// `host`'s rate, if it has one.
    pub fn rate_of(&self, host: &str) -> Option<Rate> {
        self.own.get(host).or(self.default.as_ref()).copied()
    }

    /// The rate of a `--host-stats` row's host (host and port).
    pub fn rate_of_key(&self, key: &str) -> Option<Rate> {
        let name = key.rsplit_once(':').map_or(key, |(name, _)| name);
        let name = name
            .strip_prefix('[')
            .and_then(|n| n.strip_suffix(']'))
            .unwrap_or(name);
        self.rate_of(name)
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for `host`'s turn, then until its next start is due, holding
    /// nothing else. `None` at once for a host without a rate.
    pub async fn turn(&self, host: &str) -> Option<Turn> {
        self.rate_of(host)?;
        let turn = self.lock().entry(host).turn.clone();
        let permit = turn.acquire_owned().await.expect("never closed");
        // Starts reserved meanwhile (redirect hops) move it on: wait again.
        loop {
            let next = self.lock().entry(host).next;
            if next <= Instant::now() {
                return Some(Turn { _permit: permit });
            }
            tokio::time::sleep_until(next).await;
        }
    }

    /// `host`'s turn if it is free and its next start due now: `Ok(None)`
    /// for a host without a rate, `Err(())` when the URL has to wait.
    #[allow(clippy::result_unit_err)]
    pub fn try_turn(&self, host: &str) -> Result<Option<Turn>, ()> {
        if self.rate_of(host).is_none() {
            return Ok(None);
        }
        let mut table = self.lock();
        let entry = table.entry(host);
        if entry.next > Instant::now() {
            return Err(());
        }
        let permit = entry.turn.clone().try_acquire_owned().map_err(|_| ())?;
        Ok(Some(Turn { _permit: permit }))
    }

    /// Reserves `host`'s next start, not before `earliest`, and returns
    /// its time; the caller starts its request then. `None` for a host
    /// without a rate.
    pub fn reserve(&self, host: &str, earliest: Instant) -> Option<Instant> {
        let interval = self.rate_of(host)?.interval();
        let mut table = self.lock();
        let entry = table.entry(host);
        let at = entry.next.max(earliest).max(Instant::now());
        // An interval too long to add to the clock: no further start.
        entry.next = later(at, interval);
        Some(at)
    }

    /// Hosts in the table right now (for tests: idle ones are forgotten).
    pub fn tracked_hosts(&self) -> usize {
        self.lock().hosts.len()
    }
}

impl Table {
    /// `host`'s entry, made (due at once) if the host has none; making one
    /// may sweep the table first.
    fn entry(&mut self, host: &str) -> &mut Entry {
        if !self.hosts.contains_key(host) {
            if self.hosts.len() >= self.sweep_at {
                self.sweep();
            }
            let entry = Entry {
                next: Instant::now(),
                turn: Arc::new(Semaphore::new(1)),
            };
            self.hosts.insert(host.into(), entry);
        }
        self.hosts.get_mut(host).expect("just made")
    }

    /// Forgets the hosts that say nothing: nobody holds or waits for their
    /// turn (only the table has the semaphore) and their next start is due.
    fn sweep(&mut self) {
        let now = Instant::now();
        self.hosts
            .retain(|_, e| Arc::strong_count(&e.turn) > 1 || e.next > now);
        self.hosts.shrink_to(self.hosts.len() * 2);
        self.sweep_at = (self.hosts.len() * 2).max(FIRST_SWEEP);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn rates(default: &str, own: &[(&str, &str)]) -> HostRates {
        let mut rules = HostRules::default();
        for (h, r) in own {
            rules.set((*h).to_owned(), r.parse().unwrap());
        }
        HostRates::new(Some(default.parse().unwrap()), &rules).unwrap()
    }

    #[test]
    fn no_flags_no_table() {
        assert!(HostRates::new(None, &HostRules::default()).is_none());
        let r = rates("5", &[("slow.test", "1/s")]);
        assert_eq!(r.rate_of("slow.test").unwrap().per_second, 1.0);
        assert_eq!(r.rate_of("other.test").unwrap().per_second, 5.0);
        assert_eq!(r.rate_of_key("slow.test:443").unwrap().per_second, 1.0);
        let mut only = HostRules::default();
        only.set("::1".to_owned(), "2".parse().unwrap());
        let r = HostRates::new(None, &only).unwrap();
        assert_eq!(r.rate_of_key("[::1]:80").unwrap().per_second, 2.0);
        assert!(r.rate_of("a.test").is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn starts_to_a_host_are_spaced_whoever_makes_them() {
        let r = rates("10", &[("own.test", "2")]);
        let t0 = Instant::now();
        let ms = |at: Instant| (at - t0).as_millis();
        let a: Vec<_> = (0..3).map(|_| ms(r.reserve("a", t0).unwrap())).collect();
        assert_eq!(a, [0, 100, 200]);
        // Another host is not held up; its own rate applies.
        assert_eq!(ms(r.reserve("b", t0).unwrap()), 0);
        assert_eq!(ms(r.reserve("own.test", t0).unwrap()), 0);
        assert_eq!(ms(r.reserve("own.test", t0).unwrap()), 500);
        // Not before `earliest` (a --rate start), and spaced from it.
        let later = t0 + Duration::from_secs(1);
        assert_eq!(ms(r.reserve("a", later).unwrap()), 1000);
        assert_eq!(ms(r.reserve("a", t0).unwrap()), 1100);
    }

    #[tokio::test(start_paused = true)]
    async fn one_turn_at_a_time_and_only_when_due() {
        let r = Arc::new(rates("10", &[]));
        let first = r.turn("a").await.unwrap();
        // The turn is taken: the next URL waits, holding nothing.
        let mut second = Box::pin(r.turn("a"));
        assert!(futures::poll!(second.as_mut()).is_pending());
        assert!(r.try_turn("a").is_err());
        assert!(r.try_turn("b").unwrap().is_some(), "hosts are apart");
        let t0 = Instant::now();
        r.reserve("a", t0).unwrap();
        drop(first);
        // Its turn, once the reserved start's interval has passed.
        let _second = second.await.unwrap();
        assert_eq!(t0.elapsed(), Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn idle_hosts_are_forgotten() {
        let r = rates("10", &[]);
        let t0 = Instant::now();
        for i in 0..FIRST_SWEEP {
            r.reserve(&format!("h{i}"), t0);
        }
        assert_eq!(r.tracked_hosts(), FIRST_SWEEP);
        // All still within their interval: nothing may go yet.
        r.reserve("one-more", t0);
        assert_eq!(r.tracked_hosts(), FIRST_SWEEP + 1);
        tokio::time::advance(Duration::from_millis(100)).await;
        for i in 0..(3 * FIRST_SWEEP) {
            r.reserve(&format!("g{i}"), Instant::now());
            tokio::time::advance(Duration::from_millis(1)).await;
        }
        // Only the hosts started within the last interval, and some slack.
        let kept = r.tracked_hosts();
        assert!(kept <= 2 * FIRST_SWEEP + 100, "{kept} hosts kept");
        // A forgotten host starts at once, as a fresh one would.
        assert_eq!(r.reserve("h0", Instant::now()), Some(Instant::now()));
    }

    #[tokio::test(start_paused = true)]
    async fn an_absurd_rate_does_not_panic() {
        let r = rates("1/h", &[]);
        let now = Instant::now();
        r.reserve("a", now);
        r.reserve("a", now);
    }
}
