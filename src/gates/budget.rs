//! The run-wide retry budget (`--retry-budget`): retries may be at most a
//! share of first attempts, so a failing backend is not hit by a retry
//! storm.

use std::sync::atomic::{AtomicU64, Ordering};

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
