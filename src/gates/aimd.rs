//! The AIMD rule of `--adaptive`, for one host: a concurrency limit that
//! grows while answers are good and halves on congestion, as TCP and
//! Netflix's concurrency-limits do. Pure: no clock, no I/O.
//!
//! ```text
//! slow start (limit 2) --success--> limit + 1          (doubles each round)
//! slow start --signal--> avoidance, limit / 2
//! avoidance --`limit` successes--> limit + 1           (one per round)
//! avoidance --signal--> limit / 2 (never below 1)
//! ```
//!
//! A round is the time between two cuts, counted by an epoch: a request
//! remembers the epoch it started in, and a signal from a request that
//! started before the last cut is ignored, so a burst of timeouts from one
//! round cuts once (30 parallel timeouts must not take 64 down to 1).

/// The limit a host starts with.
pub const INITIAL_LIMIT: u32 = 2;

/// One host's adaptive limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aimd {
    limit: u32,
    max: u32,
    slow_start: bool,
    /// Successes since the last growth step, in congestion avoidance.
    credit: u32,
    /// Cuts so far: the current round.
    epoch: u64,
}

impl Aimd {
    /// A limit that starts at [`INITIAL_LIMIT`] and never exceeds `max`.
    pub fn new(max: u32) -> Aimd {
        let max = max.max(1);
        Aimd {
            limit: INITIAL_LIMIT.min(max),
            max,
            slow_start: true,
            credit: 0,
            epoch: 0,
        }
    }

    /// A limit that starts adapting at a host's first 429 or 503 (throttling
    /// answered by default): half the `in_flight` requests it had then
    /// (at least 1), in congestion avoidance, as after a cut — so signals
    /// from the requests already in flight do not cut again.
    pub fn throttled(max: u32, in_flight: u32) -> Aimd {
        let max = max.max(1);
        Aimd {
            limit: (in_flight / 2).clamp(1, max),
            max,
            slow_start: false,
            credit: 0,
            epoch: 1,
        }
    }

    /// How many requests may be in flight now.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// The current round, to remember when a request starts.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// A good answer: grow by one (slow start), or by one per `limit` good
    /// answers (congestion avoidance).
    pub fn success(&mut self) {
        if self.slow_start {
            self.limit = (self.limit + 1).min(self.max);
            return;
        }
        self.credit += 1;
        if self.credit >= self.limit {
            self.credit = 0;
            self.limit = (self.limit + 1).min(self.max);
        }
    }

    /// A congestion signal from a request that started in round `started`.
    /// Halves the limit once per round; returns whether it did.
    pub fn signal(&mut self, started: u64) -> bool {
        if started < self.epoch {
            return false;
        }
        self.slow_start = false;
        self.credit = 0;
        self.limit = (self.limit / 2).max(1);
        self.epoch += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_start_doubles_each_round() {
        let mut a = Aimd::new(64);
        assert_eq!(a.limit(), 2);
        // A round of `limit` successes doubles the limit.
        for want in [4, 8, 16, 32, 64] {
            let round = a.limit();
            for _ in 0..round {
                a.success();
            }
            assert_eq!(a.limit(), want);
        }
        a.success();
        assert_eq!(a.limit(), 64, "capped at the maximum");
    }

    #[test]
    fn a_signal_halves_then_growth_is_one_per_round() {
        let mut a = Aimd::new(64);
        for _ in 0..14 {
            a.success();
        }
        assert_eq!(a.limit(), 16);
        assert!(a.signal(a.epoch()));
        assert_eq!(a.limit(), 8);
        for _ in 0..7 {
            a.success();
        }
        assert_eq!(a.limit(), 8, "not yet a whole round");
        a.success();
        assert_eq!(a.limit(), 9);
        for _ in 0..9 {
            a.success();
        }
        assert_eq!(a.limit(), 10);
    }

    #[test]
    fn one_cut_per_round() {
        let mut a = Aimd::new(64);
        for _ in 0..30 {
            a.success();
        }
        assert_eq!(a.limit(), 32);
        let started = a.epoch();
        // Thirty requests of the same round time out together.
        let cuts = (0..30).filter(|_| a.signal(started)).count();
        assert_eq!(cuts, 1);
        assert_eq!(a.limit(), 16);
        // A request that started after the cut may cut again.
        assert!(a.signal(a.epoch()));
        assert_eq!(a.limit(), 8);
    }

    #[test]
    fn a_first_throttle_starts_from_half_the_requests_in_flight() {
        let mut a = Aimd::throttled(64, 30);
        assert_eq!(a.limit(), 15);
        // The requests that were in flight (round 0) do not cut again.
        assert!(!a.signal(0));
        assert_eq!(a.limit(), 15);
        // Congestion avoidance: one more per round of successes.
        for _ in 0..15 {
            a.success();
        }
        assert_eq!(a.limit(), 16);
        assert_eq!(Aimd::throttled(64, 1).limit(), 1);
        assert_eq!(Aimd::throttled(4, 100).limit(), 4);
    }

    #[test]
    fn never_below_one_nor_above_the_maximum() {
        let mut a = Aimd::new(1);
        assert_eq!(a.limit(), 1);
        a.success();
        assert_eq!(a.limit(), 1);
        for _ in 0..10 {
            a.signal(a.epoch());
        }
        assert_eq!(a.limit(), 1);
        assert_eq!(Aimd::new(0).limit(), 1);
    }
}
