//! `--host-stats`: one row per host — requests, ok URLs, 429/503 answers,
//! retries, latency percentiles, with `--adaptive` the final limit, and
//! with `--host-rate`/`--rate-for` the host's rate.
//!
//! Fed by the fetcher (which alone sees every attempt's answer) and read by
//! the summary at the end. Memory stays bounded on lists of millions of
//! hosts: at most [`MAX_ROWS`] rows are kept, the most requested ones (the
//! space-saving rule: a new host takes the place of the least requested
//! row, whose numbers move into the `other` row).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde_json::{Value, json};

/// Most hosts with a row of their own.
pub const MAX_ROWS: usize = 1_000;
/// Largest latency told apart, in µs (an hour).
const LATENCY_MAX_US: u64 = 3_600_000_000;

/// A host's final adaptive limit, if it has one.
pub type LimitOf<'a> = dyn Fn(&str) -> Option<u32> + 'a;

/// One host's numbers.
#[derive(Debug, Clone)]
pub struct HostRow {
    /// Attempts made (requests sent).
    pub requests: u64,
    /// URLs finished ok.
    pub ok: u64,
    /// Answers with status 429 or 503.
    pub throttled: u64,
    /// Attempts after a URL's first.
    pub retries: u64,
    /// Per finished URL, first attempt to end, µs; 2 significant digits in
    /// about 13 KiB.
    latency: Histogram<u32>,
    /// With `--adaptive` (and only then): the host's limit at the end of
    /// the run, `None` for a host it has none for.
    pub limit: Option<Option<u32>>,
    /// With `--host-rate` or `--rate-for` (and only then): the host's
    /// rate in requests per second, `None` for a host without one.
    pub rate: Option<Option<f64>>,
}

impl Default for HostRow {
    fn default() -> Self {
        HostRow {
            requests: 0,
            ok: 0,
            throttled: 0,
            retries: 0,
            latency: Histogram::new_with_bounds(1, LATENCY_MAX_US, 2).expect("valid bounds"),
            limit: None,
            rate: None,
        }
    }
}

impl HostRow {
    /// The latency at quantile `q`, if any URL finished.
    pub fn latency(&self, q: f64) -> Option<Duration> {
        (!self.latency.is_empty()).then(|| Duration::from_micros(self.latency.value_at_quantile(q)))
    }

    fn absorb(&mut self, other: &HostRow) {
        self.requests += other.requests;
        self.ok += other.ok;
        self.throttled += other.throttled;
        self.retries += other.retries;
        let _ = self.latency.add(&other.latency);
    }
}

#[derive(Default)]
struct Table {
    rows: HashMap<String, HostRow>,
    other: HostRow,
}

impl Table {
    fn row(&mut self, host: &str) -> &mut HostRow {
        if !self.rows.contains_key(host) && self.rows.len() >= MAX_ROWS {
            // The least requested row makes room; its numbers are kept in
            // `other`.
            if let Some(least) = self
                .rows
                .iter()
                .min_by_key(|(_, r)| r.requests)
                .map(|(h, _)| h.clone())
            {
                if let Some(row) = self.rows.remove(&least) {
                    self.other.absorb(&row);
                }
            }
        }
        self.rows.entry(host.to_owned()).or_default()
    }
}

/// The run's host table.
#[derive(Default)]
pub struct HostStats {
    table: Mutex<Table>,
}

impl HostStats {
    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An attempt to `host` ended with `status` (if a response came).
    pub fn attempt(&self, host: &str, status: Option<u16>, retry: bool) {
        let mut t = self.lock();
        let row = t.row(host);
        row.requests += 1;
        if retry {
            row.retries += 1;
        }
        if matches!(status, Some(429 | 503)) {
            row.throttled += 1;
        }
    }

    /// A URL of `host` that made requests finished.
    pub fn finished(&self, host: &str, ok: bool, latency: Option<Duration>) {
        let mut t = self.lock();
        let row = t.row(host);
        if ok {
            row.ok += 1;
        }
        if let Some(l) = latency {
            let us = (l.as_micros() as u64).clamp(1, LATENCY_MAX_US);
            row.latency.saturating_record(us);
        }
    }

    /// The rows, most requested first; with `limit_of` (an `--adaptive`
    /// run), each has its host's final limit. The `other` row comes last
    /// when any host was folded into it.
    pub fn rows(&self, limit_of: Option<&LimitOf>) -> Vec<(String, HostRow)> {
        let t = self.lock();
        let mut rows: Vec<(String, HostRow)> = t
            .rows
            .iter()
            .map(|(h, r)| {
                let mut r = r.clone();
                r.limit = limit_of.map(|f| f(h));
                (h.clone(), r)
            })
            .collect();
        rows.sort_by(|a, b| b.1.requests.cmp(&a.1.requests).then_with(|| a.0.cmp(&b.0)));
        if t.other.requests > 0 {
            let mut other = t.other.clone();
            other.limit = limit_of.map(|_| None);
            rows.push(("other".to_owned(), other));
        }
        rows
    }
}

/// One row as `--stats` writes it.
pub fn row_json(host: &str, r: &HostRow) -> Value {
    let ms = |d: Option<Duration>| d.map(|d| d.as_micros() as f64 / 1000.0);
    let mut row = json!({
        "host": host,
        "requests": r.requests,
        "ok": r.ok,
        "throttled": r.throttled,
        "retries": r.retries,
        "p50_ms": ms(r.latency(0.5)),
        "p99_ms": ms(r.latency(0.99)),
    });
    // The key exists only in `--adaptive` runs.
    if let Some(limit) = r.limit {
        row["limit"] = json!(limit);
    }
    // The key exists only with --host-rate or --rate-for.
    if let Some(rate) = r.rate {
        row["rate"] = json!(rate);
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_host() {
        let s = HostStats::default();
        s.attempt("a:80", Some(429), false);
        s.attempt("a:80", Some(200), true);
        s.finished("a:80", true, Some(Duration::from_millis(12)));
        s.attempt("b:80", None, false);
        s.finished("b:80", false, Some(Duration::from_millis(30)));
        let limit_of = |h: &str| (h == "a:80").then_some(7);
        let rows = s.rows(Some(&limit_of));
        assert_eq!(rows.len(), 2);
        let (host, a) = &rows[0];
        assert_eq!(host, "a:80");
        assert_eq!((a.requests, a.ok, a.throttled, a.retries), (2, 1, 1, 1));
        assert_eq!(a.limit, Some(Some(7)));
        let p50 = a.latency(0.5).unwrap().as_millis();
        assert!((11..=13).contains(&p50), "{p50}");
        assert_eq!(rows[1].1.limit, Some(None));
        let j = row_json(host, a);
        assert_eq!(j["throttled"], 1);
        assert_eq!(j["limit"], 7);
        assert!(row_json("b:80", &rows[1].1)["limit"].is_null());
        // Without --adaptive there is no limit key at all.
        let rows = s.rows(None);
        assert_eq!(rows[0].1.limit, None);
        assert!(row_json("a:80", &rows[0].1).get("limit").is_none());
    }

    #[test]
    fn rows_are_bounded_and_the_rest_is_other() {
        let s = HostStats::default();
        // A busy host, then far more hosts than rows.
        for _ in 0..50 {
            s.attempt("busy:80", Some(200), false);
        }
        for i in 0..(MAX_ROWS + 500) {
            s.attempt(&format!("h{i}:80"), Some(200), false);
        }
        let rows = s.rows(None);
        assert_eq!(rows.len(), MAX_ROWS + 1, "rows plus other");
        assert_eq!(rows[0].0, "busy:80", "the busiest host keeps its row");
        let (name, other) = rows.last().unwrap();
        assert_eq!(name, "other");
        let total: u64 = rows.iter().map(|(_, r)| r.requests).sum();
        assert_eq!(total, 50 + (MAX_ROWS + 500) as u64, "nothing is lost");
        assert!(other.requests >= 500);
    }
}
