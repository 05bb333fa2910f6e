//! `--rate`: at most R request starts per second overall, spaced evenly.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::later;

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
        tokio::time::sleep_until(self.reserve()).await;
    }

    /// Takes the next free start time; the caller starts then.
    pub fn reserve(&self) -> Instant {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let at = next.map_or(now, |n| n.max(now));
        // An interval too long to add to the clock: no further start.
        *next = Some(later(at, self.interval));
        at
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

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
    async fn an_absurd_rate_does_not_panic() {
        let pacer = Pacer::new(Duration::MAX);
        pacer.wait().await;
        let mut second = Box::pin(pacer.wait());
        assert!(futures::poll!(second.as_mut()).is_pending());
    }
}
