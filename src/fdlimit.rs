//! Open files: fanout's own limit, not the servers'.
//!
//! Every request in flight holds a socket, so `-c 600` under the usual soft
//! limit of 256 (or 1024) open files would fail URLs with "Too many open
//! files" that a server never saw. The command line's validation
//! (`Cli::into_config`, [`fit_concurrency`]) raises the soft `RLIMIT_NOFILE`
//! to the hard limit ([`raise`]); if `-c` still does not fit, the run goes
//! with the largest concurrency that does ([`Fit`]) and says so once on
//! stderr. What the estimate misses (a connection closing
//! while the next opens, idle keep-alive connections to many hosts) is
//! caught by the backpressure in `fetch/exhaustion.rs`: a request that
//! cannot get a descriptor waits for one instead of failing.
//!
//! Kept apart from the pipeline because it is process-wide (the limit
//! belongs to the process, not to one run) and because the arithmetic is
//! pure and unit-tested here.
//!
//! How many descriptors one URL holds: one. Its attempts and redirect hops
//! run one after another; each hop's response is dropped before the next
//! request, so its connection goes back to the pool or is closed, and a
//! name lookup ends before the socket opens. What this does not count is
//! left to backpressure rather than halving every run's concurrency: a
//! closing connection overlapping the next hop's new one, and the pool's
//! own extras — a request that finds no idle connection starts a new one,
//! and if an idle one frees up first it takes that instead, so the new
//! connection joins the pool idle (seen in the tests: with `-c` fitted to
//! 256 descriptors, one host still ran out without backpressure).

use std::num::NonZeroUsize;

/// Descriptors one URL in flight holds at once (see the module docs).
pub const PER_URL: u64 = 1;

/// Descriptors kept for what opens after the count of open files is taken:
/// the runtime's event queue and waker, the signal thread's runtime, the
/// `--metrics` listener and a few scrapes, short-lived name lookups.
pub const HEADROOM: u64 = 12;

/// Raises the soft limit on open files to the hard limit and returns the
/// soft limit now in force; `None` where there is no such limit (not unix)
/// or it cannot be read.
pub fn raise() -> Option<u64> {
    #[cfg(unix)]
    {
        match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(soft) => Some(soft),
            Err(e) => {
                tracing::debug!("cannot raise the open-file limit: {e}");
                rlimit::Resource::NOFILE.get().ok().map(|(soft, _)| soft)
            }
        }
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// How many descriptors the process has open now (stdio, input files,
/// and the like); `None` where that cannot be counted.
pub fn open_now() -> Option<u64> {
    let dir = ["/proc/self/fd", "/dev/fd"]
        .into_iter()
        .find_map(|d| std::fs::read_dir(d).ok())?;
    // The directory being read is itself one of the entries.
    Some((dir.count() as u64).saturating_sub(1))
}

/// The largest concurrency up to `concurrency` whose descriptors —
/// `per_url` each, plus `reserve` for everything else — fit in `limit`.
/// Never less than 1: with no room at all one request at a time still
/// runs, and waits for a descriptor like any other.
pub fn fit(concurrency: usize, per_url: u64, reserve: u64, limit: u64) -> usize {
    let per_url = per_url.max(1);
    let room = limit.saturating_sub(reserve) / per_url;
    usize::try_from(room)
        .unwrap_or(usize::MAX)
        .clamp(1, concurrency.max(1))
}

/// The concurrency a run can have within the open-file limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fit {
    /// What `-c` asked for.
    pub wanted: usize,
    /// Descriptors `wanted` would need, reserve included.
    pub needed: u64,
    /// The soft limit on open files.
    pub limit: u64,
    /// What the run will use: `wanted`, or less when it does not fit.
    pub effective: usize,
}

impl Fit {
    /// Fits `wanted` into `limit` with `open` descriptors already in use.
    pub fn new(wanted: usize, limit: u64, open: u64) -> Fit {
        let reserve = open + HEADROOM;
        let needed = (wanted as u64)
            .saturating_mul(PER_URL)
            .saturating_add(reserve);
        Fit {
            wanted,
            needed,
            limit,
            effective: fit(wanted, PER_URL, reserve, limit),
        }
    }

    /// Raises the limit ([`raise`]) and fits `wanted` into it; `None` where
    /// there is no limit to respect.
    pub fn for_this_process(wanted: usize) -> Option<Fit> {
        let limit = raise()?;
        Some(Fit::new(wanted, limit, open_now().unwrap_or(3)))
    }

    /// The one line to print when the run goes slower than asked.
    pub fn warning(&self) -> Option<String> {
        (self.effective < self.wanted).then(|| {
            format!(
                "-c {} needs ~{} open files; the limit is {}: running {} at once",
                self.wanted, self.needed, self.limit, self.effective
            )
        })
    }
}

/// Raises this process's limit and fits `wanted` into it: the
/// concurrency to run with, and the one line to say when that is less than
/// `wanted`. Call it after the input files are open, so they
/// are counted; `Cli::into_config` does, so the `Config` it returns is the
/// one that runs.
pub fn fit_concurrency(wanted: NonZeroUsize) -> (NonZeroUsize, Option<String>) {
    let Some(fit) = Fit::for_this_process(wanted.get()) else {
        return (wanted, None);
    };
    let effective = NonZeroUsize::new(fit.effective).unwrap_or(wanted);
    (effective, fit.warning())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_when_there_is_room() {
        assert_eq!(fit(600, 1, 16, 8192), 600);
        assert_eq!(fit(600, 1, 16, 616), 600);
    }

    #[test]
    fn shrinks_to_what_fits() {
        assert_eq!(fit(600, 1, 16, 256), 240);
        assert_eq!(fit(600, 1, 16, 615), 599);
        assert_eq!(fit(600, 2, 16, 256), 120);
    }

    #[test]
    fn never_below_one() {
        assert_eq!(fit(600, 1, 300, 256), 1);
        assert_eq!(fit(600, 0, 0, 0), 1);
        assert_eq!(fit(0, 1, 0, 256), 1);
    }

    #[test]
    fn huge_limits_do_not_overflow() {
        assert!(fit(usize::MAX, 1, 16, u64::MAX) > usize::MAX / 2);
        assert_eq!(Fit::new(10, u64::MAX, 3).effective, 10);
    }

    #[test]
    fn the_warning_names_the_numbers() {
        let f = Fit::new(600, 256, 4);
        assert_eq!(f.effective, 240);
        assert_eq!(
            f.warning().as_deref(),
            Some("-c 600 needs ~616 open files; the limit is 256: running 240 at once")
        );
        assert_eq!(Fit::new(600, 8192, 4).warning(), None);
    }
}
