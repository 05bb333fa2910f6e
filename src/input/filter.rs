//! The filters that drop input lines before they become work — `--shard`,
//! `--skip-done`, `--skip-ok`, `--dedup` — and the stable line hash they
//! share.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::earlier::Earlier;
use crate::record::Stamp;

/// Which accepted lines become work. Skipped lines keep their place in the
/// numbering (`index`) but get no record.
#[derive(Default)]
pub(super) struct Filters {
    /// Keep only lines whose hash mod `n` is `k - 1`.
    pub(super) shard: Option<Shard>,
    /// URLs that already have a final record (`--skip-done`).
    pub(super) done: Option<Arc<Earlier>>,
    /// URLs whose last record is `ok`, recently enough (`--skip-ok`).
    pub(super) fresh: Option<SkipOk>,
    /// Hashes of URLs seen so far in this run.
    pub(super) seen: Option<HashSet<u64>>,
}

impl Filters {
    /// Whether a line is kept. `raw` is the hash of the trimmed line's
    /// bytes (the contract for `--shard`); `text` the hash of its text as
    /// records show it (`url`), which is what `--skip-done` finds in an
    /// earlier output. They differ only for lines that are not UTF-8.
    pub(super) fn keep(&mut self, raw: u64, text: u64) -> bool {
        if let Some(shard) = self.shard {
            if !shard.contains(raw) {
                return false;
            }
        }
        if let Some(done) = &self.done {
            if done.contains(text) {
                return false;
            }
        }
        if let Some(fresh) = &self.fresh {
            if fresh.skips(text) {
                return false;
            }
        }
        match &mut self.seen {
            Some(seen) => seen.insert(text),
            None => true,
        }
    }
}

impl super::Input {
    /// Skips lines that have a final record in `done` (`--skip-done`).
    pub fn skip_done(&mut self, done: Arc<Earlier>) {
        self.filters.done = Some(done);
    }

    /// Skips lines as `skip` says (`--skip-ok`).
    pub fn skip_ok(&mut self, skip: SkipOk) {
        self.filters.fresh = Some(skip);
    }
}

/// `--skip-ok FILE [--max-age DUR]`: which URLs need not run again.
#[derive(Debug, Clone)]
pub struct SkipOk {
    /// The records of FILE.
    pub earlier: Arc<Earlier>,
    /// Only records that started within this of `now` count.
    pub max_age: Option<Duration>,
    /// When the run started.
    pub now: Stamp,
}

impl SkipOk {
    /// Whether the URL with key hash `key` is skipped: its last record is
    /// `ok` and, with `--max-age`, started within it (a record without
    /// `started_at` is too old).
    pub fn skips(&self, key: u64) -> bool {
        let Some(prior) = self.earlier.get(key).filter(|p| p.ok) else {
            return false;
        };
        let Some(max_age) = self.max_age else {
            return true;
        };
        let max_ms = i64::try_from(max_age.as_millis()).unwrap_or(i64::MAX);
        prior
            .started_at
            .is_some_and(|t| self.now.0.saturating_sub(t.0) <= max_ms)
    }
}

/// `--shard K/N`: this machine's part of a list split N ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based shard number, 1 ≤ k ≤ n.
    pub k: u64,
    /// Number of shards.
    pub n: u64,
}

impl Shard {
    /// Whether a line with this hash belongs to this shard.
    pub fn contains(self, hash: u64) -> bool {
        hash % self.n == self.k - 1
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("invalid shard `{s}`; write K/N with 1 <= K <= N, e.g. 1/4");
        let (k, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let k: u64 = k.trim().parse().map_err(|_| bad())?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        if k == 0 || n == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// The stable 64-bit hash of a line (FNV-1a), used by `--shard`,
/// `--dedup` and `--skip-done`. Part of the contract: N machines that run
/// `--shard 1/N` … `--shard N/N` over the same list cover it exactly once.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}
