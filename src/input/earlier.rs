//! The one reader of earlier records: a JSON Lines file written by fanout,
//! streamed into a compact table keyed like `--skip-done` (a jsonl line's
//! `id`, else the `url`, as a 64-bit FNV-1a hash). `--skip-done`,
//! `--skip-ok`, `--revalidate` and `--baseline` all ask this table; none
//! parses the file itself.
//!
//! Only final records count (`cancelled`, `circuit_open` and `save` are
//! not: they say nothing of the URL, or its body is still to be saved),
//! and of those the last one per key. Lines that are not records are
//! counted and skipped.
//!
//! # Memory
//!
//! The file's text is never held: each line is parsed in place and leaves
//! one fixed-size [`Slot`] of 24 bytes (the key's hash, `ok`, `status`,
//! `started_at` in milliseconds, and where its extras are). Extras are out
//! of line, only for the keys that have them and only when a flag needs
//! them ([`Wants`]): the `sha256` (32 bytes) and the `etag` and
//! `last-modified` values (their length plus 2 bytes each, and a byte of
//! flags). Slots are appended as records come and, when the slots double,
//! compacted (sorted by key, the last record of each kept), so a file that
//! repeats its keys run after run (`>> FILE`) costs what its distinct keys
//! cost, at most twice over while reading. Lookups are a binary search.

use std::io::{self, BufRead};

use serde::Deserialize;

use super::fnv1a64;
use crate::record::{Digest, ErrorKind, Stamp};

/// What the flags reading a file need beyond `ok`, `status` and
/// `started_at`, which every slot holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Wants {
    /// The body's `sha256`: `--baseline` compares it, `--revalidate`
    /// carries it over a 304 (only with `--hash`).
    pub sha256: bool,
    /// The `etag` and `last-modified` response headers: `--revalidate`.
    pub validators: bool,
}

/// One key's last final record, 24 bytes.
#[derive(Debug, Clone, Copy)]
struct Slot {
    key: u64,
    /// `started_at` in Unix milliseconds; `NO_STAMP` when absent.
    started: i64,
    /// Offset of the key's extras in `Earlier::extras`; `NO_EXTRA` when none.
    extra: u32,
    /// 0 when absent.
    status: u16,
    ok: bool,
}

const NO_STAMP: i64 = i64::MIN;
const NO_EXTRA: u32 = u32::MAX;
/// Flags of an extra: which parts follow.
const HAS_SHA: u8 = 1;
const HAS_ETAG: u8 = 2;
const HAS_LAST_MODIFIED: u8 = 4;
/// Slots before the first compaction.
const FIRST_COMPACTION: usize = 1 << 16;

/// What earlier records say, per key. Built by [`Earlier::load`].
#[derive(Default)]
pub struct Earlier {
    /// Sorted by key, one per key, once loaded.
    slots: Vec<Slot>,
    /// Extras, each `[flags][sha 32?][len u16, etag?][len u16, lm?]`.
    extras: Vec<u8>,
    /// Lines read.
    pub lines: u64,
    /// Lines that are not records (a run that crashed mid-write leaves a
    /// torn last line).
    pub unreadable: u64,
    /// The first of them, 1-based.
    pub first_unreadable: Option<u64>,
}

impl std::fmt::Debug for Earlier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Earlier({} keys)", self.slots.len())
    }
}

/// One key's last final record, as the flags ask it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prior<'a> {
    /// Whether it was `ok`.
    pub ok: bool,
    /// Its `status`.
    pub status: Option<u16>,
    /// Its `started_at`.
    pub started_at: Option<Stamp>,
    /// Its `sha256` (kept when [`Wants::sha256`]).
    pub sha256: Option<Digest>,
    /// Its response's `etag` (kept when [`Wants::validators`]).
    pub etag: Option<&'a str>,
    /// Its response's `last-modified` (kept when [`Wants::validators`]).
    pub last_modified: Option<&'a str>,
}

impl Earlier {
    /// Reads earlier JSON Lines output, keeping what `wants` asks for.
    /// Lines that are not records are counted, not fatal.
    pub fn load(mut reader: impl BufRead, wants: Wants) -> io::Result<Earlier> {
        let mut table = Earlier::default();
        let mut compact_at = FIRST_COMPACTION;
        let mut buf = Vec::new();
        loop {
            buf.clear();
            if reader.read_until(b'\n', &mut buf)? == 0 {
                break;
            }
            table.lines += 1;
            let line = buf.trim_ascii();
            if line.is_empty() {
                continue;
            }
            match serde_json::from_slice::<Prev>(line) {
                Ok(prev) => table.push(prev, wants),
                Err(_) => {
                    table.unreadable += 1;
                    table.first_unreadable.get_or_insert(table.lines);
                }
            }
            if table.slots.len() >= compact_at {
                table.compact();
                compact_at = (table.slots.len() * 2).max(FIRST_COMPACTION);
            }
        }
        table.compact();
        table.slots.shrink_to_fit();
        table.extras.shrink_to_fit();
        Ok(table)
    }

    fn push(&mut self, prev: Prev<'_>, wants: Wants) {
        // A kind this version does not know is taken as final.
        let kind = prev
            .error
            .as_ref()
            .and_then(|e| ErrorKind::from_name(&e.kind));
        if kind.is_some_and(|k| !k.is_final()) {
            return;
        }
        let key = super::id_key(&prev.id);
        let key = fnv1a64(key.as_deref().unwrap_or(&prev.url).as_bytes());
        let sha = prev
            .sha256
            .as_deref()
            .filter(|_| wants.sha256)
            .and_then(Digest::parse);
        let (etag, last_modified) = match (&prev.headers, wants.validators) {
            (Some(h), true) => (first(&h.etag), first(&h.last_modified)),
            _ => (None, None),
        };
        let extra = self.extra(sha.as_ref(), etag, last_modified);
        self.slots.push(Slot {
            key,
            started: prev
                .started_at
                .as_deref()
                .and_then(Stamp::parse)
                .map_or(NO_STAMP, |s| s.0),
            extra,
            status: prev.status.unwrap_or(0),
            ok: prev.ok.unwrap_or(prev.error.is_none()),
        });
    }

    /// Appends an extra; its offset, or `NO_EXTRA` when there is nothing
    /// to keep (or no room left in 4 GiB of extras).
    fn extra(&mut self, sha: Option<&Digest>, etag: Option<&str>, lm: Option<&str>) -> u32 {
        let fits = |v: &&str| v.len() <= usize::from(u16::MAX);
        let (etag, lm) = (etag.filter(fits), lm.filter(fits));
        if sha.is_none() && etag.is_none() && lm.is_none() {
            return NO_EXTRA;
        }
        let Ok(at) = u32::try_from(self.extras.len()) else {
            return NO_EXTRA;
        };
        if at == NO_EXTRA {
            return NO_EXTRA;
        }
        let flag = |b: bool, f: u8| if b { f } else { 0 };
        self.extras.push(
            flag(sha.is_some(), HAS_SHA)
                | flag(etag.is_some(), HAS_ETAG)
                | flag(lm.is_some(), HAS_LAST_MODIFIED),
        );
        if let Some(sha) = sha {
            self.extras.extend_from_slice(&sha.0);
        }
        for v in [etag, lm].into_iter().flatten() {
            self.extras
                .extend_from_slice(&(v.len() as u16).to_le_bytes());
            self.extras.extend_from_slice(v.as_bytes());
        }
        at
    }

    /// Sorts the slots by key and keeps the last of each; copies the live
    /// extras into a fresh buffer.
    fn compact(&mut self) {
        // Reversed, a stable sort puts each key's latest slot first, and
        // `dedup` keeps the first.
        self.slots.reverse();
        self.slots.sort_by_key(|s| s.key);
        let before = self.slots.len();
        self.slots.dedup_by_key(|s| s.key);
        // Offsets stay valid in any order: the extras are copied only to
        // drop those of the records replaced.
        if self.extras.is_empty() || self.slots.len() == before {
            return;
        }
        let old = std::mem::take(&mut self.extras);
        for slot in &mut self.slots {
            if slot.extra != NO_EXTRA {
                let bytes = extra_bytes(&old, slot.extra as usize);
                slot.extra = self.extras.len() as u32;
                self.extras.extend_from_slice(bytes);
            }
        }
    }

    /// The key's last final record, if any. `key` is the hash of the
    /// line's key, as [`Earlier::load`] made it.
    pub fn get(&self, key: u64) -> Option<Prior<'_>> {
        let at = self.slots.binary_search_by_key(&key, |s| s.key).ok()?;
        let slot = &self.slots[at];
        let mut prior = Prior {
            ok: slot.ok,
            status: (slot.status != 0).then_some(slot.status),
            started_at: (slot.started != NO_STAMP).then_some(Stamp(slot.started)),
            sha256: None,
            etag: None,
            last_modified: None,
        };
        if slot.extra != NO_EXTRA {
            let bytes = extra_bytes(&self.extras, slot.extra as usize);
            let mut rest = &bytes[1..];
            if bytes[0] & HAS_SHA != 0 {
                // 32 bytes, as written by `extra`.
                let (sha, tail) = rest.split_at(32);
                prior.sha256 = <[u8; 32]>::try_from(sha).ok().map(Digest);
                rest = tail;
            }
            let mut text = |present: bool| -> Option<&str> {
                if !present {
                    return None;
                }
                let len = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
                let (v, tail) = rest[2..].split_at(len);
                rest = tail;
                std::str::from_utf8(v).ok()
            };
            prior.etag = text(bytes[0] & HAS_ETAG != 0);
            prior.last_modified = text(bytes[0] & HAS_LAST_MODIFIED != 0);
        }
        Some(prior)
    }

    /// Whether the key has a final record.
    pub fn contains(&self, key: u64) -> bool {
        self.slots.binary_search_by_key(&key, |s| s.key).is_ok()
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Heap bytes the table holds: its slots and its extras.
    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>() + self.extras.capacity()
    }
}

/// The bytes of the extra at `at`.
fn extra_bytes(extras: &[u8], at: usize) -> &[u8] {
    let flags = extras[at];
    let mut end = at + 1;
    if flags & HAS_SHA != 0 {
        end += 32;
    }
    for f in [HAS_ETAG, HAS_LAST_MODIFIED] {
        if flags & f != 0 {
            end += 2 + usize::from(u16::from_le_bytes([extras[end], extras[end + 1]]));
        }
    }
    &extras[at..end]
}

fn first<'a>(values: &'a Option<Vec<std::borrow::Cow<'_, str>>>) -> Option<&'a str> {
    values.as_ref()?.first().map(|v| v.as_ref())
}

/// The parts of a record the table reads; the rest of the line is skipped
/// without being kept.
#[derive(Deserialize)]
struct Prev<'a> {
    #[serde(borrow)]
    url: std::borrow::Cow<'a, str>,
    #[serde(default)]
    ok: Option<bool>,
    #[serde(default)]
    status: Option<u16>,
    #[serde(borrow)]
    error: Option<PrevError<'a>>,
    /// A jsonl run's records carry the line's `id`: its key.
    #[serde(default)]
    id: serde_json::Value,
    #[serde(default, borrow)]
    started_at: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    sha256: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    headers: Option<PrevHeaders<'a>>,
}

#[derive(Deserialize)]
struct PrevError<'a> {
    #[serde(borrow)]
    kind: std::borrow::Cow<'a, str>,
}

#[derive(Deserialize)]
struct PrevHeaders<'a> {
    #[serde(default, borrow)]
    etag: Option<Vec<std::borrow::Cow<'a, str>>>,
    #[serde(default, borrow, rename = "last-modified")]
    last_modified: Option<Vec<std::borrow::Cow<'a, str>>>,
}

#[cfg(test)]
mod tests;
