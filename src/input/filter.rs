//! The filters that drop input lines before they become work — `--shard`,
//! `--skip-done`, `--dedup` — and the stable line hash they share.

use std::collections::HashSet;
use std::io::{self, BufRead};

use crate::record::ErrorKind;

/// Which accepted lines become work. Skipped lines keep their place in the
/// numbering (`index`) but get no record.
#[derive(Default)]
pub(super) struct Filters {
    /// Keep only lines whose hash mod `n` is `k - 1`.
    pub(super) shard: Option<Shard>,
    /// Hashes of URLs that already have a final record.
    pub(super) done: Option<HashSet<u64>>,
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
            if done.contains(&text) {
                return false;
            }
        }
        match &mut self.seen {
            Some(seen) => seen.insert(text),
            None => true,
        }
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

/// What `--skip-done` learned from an earlier output file.
#[derive(Debug, Default)]
pub struct Done {
    /// Hashes of URLs that have a final record.
    pub hashes: HashSet<u64>,
    /// 1-based numbers of lines that are not records (a run that crashed
    /// mid-write leaves a torn last line).
    pub unreadable: Vec<u64>,
    /// Lines read.
    pub lines: u64,
}

/// Reads earlier JSON Lines output: every record whose error kind is not
/// `cancelled` or `circuit_open` is final, and its key (its `id` when it
/// has one, as a jsonl run's records do, else its `url`) is skipped on a
/// rerun. Lines that are not records are counted, not fatal.
pub fn load_done(mut reader: impl BufRead) -> io::Result<Done> {
    #[derive(serde::Deserialize)]
    struct Prev<'a> {
        #[serde(borrow)]
        url: std::borrow::Cow<'a, str>,
        #[serde(borrow)]
        error: Option<PrevError<'a>>,
        /// A jsonl run's records carry the line's `id`: its key.
        #[serde(default)]
        id: serde_json::Value,
    }
    #[derive(serde::Deserialize)]
    struct PrevError<'a> {
        #[serde(borrow)]
        kind: std::borrow::Cow<'a, str>,
    }

    let mut done = Done::default();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            return Ok(done);
        }
        done.lines += 1;
        let line = buf.trim_ascii();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice::<Prev>(line) {
            Ok(prev) => {
                // A kind this version does not know is taken as final.
                let retry = prev
                    .error
                    .and_then(|e| ErrorKind::from_name(&e.kind))
                    .is_some_and(|k| !k.is_final());
                if !retry {
                    let key = super::id_key(&prev.id);
                    let key = key.as_deref().unwrap_or(&prev.url);
                    done.hashes.insert(fnv1a64(key.as_bytes()));
                }
            }
            Err(_) => done.unreadable.push(done.lines),
        }
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
