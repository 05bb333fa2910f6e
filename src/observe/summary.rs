//! An observer of records (`mod.rs`). What a run did, in numbers: counts by outcome, error kind and status,
//! retries, rate, and latency percentiles from a bounded-memory histogram.
//! Printed on stderr at the end (unless `-q`) and written as one JSON object
//! by `--stats FILE`.

use std::io::{self, Write};
use std::time::Duration;

use hdrhistogram::Histogram;
use serde_json::{Map, Value, json};

use super::hosts::{HostRow, row_json};
use super::{Observer, RunEnd};
use crate::config::{Adapt, FailOn};
use crate::gates::adaptive::Throttled;
use crate::output::human_duration;
use crate::record::{Change, ErrorKind, Record};
use crate::stop::StopReason;

/// Largest latency the histogram tells apart (longer ones count as this).
const LATENCY_MAX_US: u64 = 3_600_000_000;

/// Counters of a run.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Records written: URLs started.
    pub records: u64,
    /// Records that are ok.
    pub ok: u64,
    /// Records that are not ok.
    pub failed: u64,
    /// Failed records per error kind, in `ErrorKind::ALL` order.
    by_kind: [u64; ErrorKind::ALL.len()],
    /// Records per final status code (100–999).
    statuses: Vec<u64>,
    /// Retries made (attempts after the first), across all URLs.
    pub retries: u64,
    /// Time from the first attempt to the end, per URL that made a request
    /// and was not cancelled, in microseconds.
    latency: Histogram<u64>,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// URLs read from the input but never started (the run stopped first).
    pub not_started: u64,
    /// Why the run stopped early, if it did.
    pub stopped: Option<StopReason>,
    /// The concurrency the run had: `-c`, or less when the open-file limit
    /// did not allow it.
    pub concurrency: usize,
    /// Retries refused by `--retry-budget` (`None` without it).
    pub retries_refused: Option<u64>,
    /// Hosts whose circuit opened (`None` without `--trip-after`).
    pub circuits_opened: Option<Vec<String>>,
    /// One row per host, most requested first (`--host-stats`).
    pub hosts: Option<Vec<(String, HostRow)>>,
    /// Hosts that answered 429/503 to a good share of their requests: the
    /// summary suggests pacing them.
    pub throttled: Vec<Throttled>,
    /// `--baseline`: records per `change`, in `Change::ALL` order (`None`
    /// without it).
    pub changes: Option<[u64; Change::ALL.len()]>,
    /// Records that are not ok and whose change is `new_failure` or
    /// `new_url`: the failures of `--fail-on new`.
    pub new_failed: u64,
}

/// Hosts the summary names for answering 429/503 often, at most.
const THROTTLED_HINTS: usize = 3;

impl Default for Summary {
    fn default() -> Self {
        Summary {
            records: 0,
            ok: 0,
            failed: 0,
            by_kind: [0; ErrorKind::ALL.len()],
            statuses: vec![0; 1000],
            retries: 0,
            // Two significant digits: percentiles within 1%, in ~40 KiB.
            latency: Histogram::new_with_bounds(1, LATENCY_MAX_US, 2).expect("valid bounds"),
            elapsed: Duration::ZERO,
            not_started: 0,
            stopped: None,
            concurrency: 0,
            retries_refused: None,
            circuits_opened: None,
            hosts: None,
            throttled: Vec::new(),
            changes: None,
            new_failed: 0,
        }
    }
}

impl Summary {
    /// Counts one record.
    pub fn add(&mut self, r: &Record) {
        self.records += 1;
        match r.error_kind() {
            None => self.ok += 1,
            Some(kind) => {
                self.failed += 1;
                self.by_kind[kind as usize] += 1;
            }
        }
        if let Some(s) = r.status {
            if let Some(n) = self.statuses.get_mut(s as usize) {
                *n += 1;
            }
        }
        if let Some(change) = r.change {
            let counts = self.changes.get_or_insert_default();
            if let Some(c) = change {
                counts[c as usize] += 1;
            }
            self.new_failed += u64::from(FailOn::New.fails(r));
        }
        self.retries += u64::from(r.attempts.saturating_sub(1));
        if let Some(latency) = r.latency() {
            let us = (latency.as_micros() as u64).clamp(1, LATENCY_MAX_US);
            self.latency.saturating_record(us);
        }
    }

    /// Failed records of one kind.
    pub fn failed_of(&self, kind: ErrorKind) -> u64 {
        self.by_kind[kind as usize]
    }

    /// `(status, count)` for every status seen, ascending.
    pub fn statuses(&self) -> impl Iterator<Item = (u16, u64)> + '_ {
        self.statuses
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(s, n)| (s as u16, *n))
    }

    /// Records per second of wall time.
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.records as f64 / secs
        } else {
            0.0
        }
    }

    /// The latency at quantile `q` (0–1), or `None` without samples.
    pub fn latency(&self, q: f64) -> Option<Duration> {
        (!self.latency.is_empty()).then(|| Duration::from_micros(self.latency.value_at_quantile(q)))
    }

    fn latency_max(&self) -> Option<Duration> {
        (!self.latency.is_empty()).then(|| Duration::from_micros(self.latency.max()))
    }

    /// The human summary, a few lines for stderr.
    pub fn write_text(&self, w: &mut impl Write) -> io::Result<()> {
        let mut line = format!(
            "{} {} in {} ({:.1}/s): {} ok, {} failed",
            self.records,
            urls(self.records),
            human_duration(self.elapsed),
            self.rate(),
            self.ok,
            self.failed
        );
        let kinds: Vec<String> = ErrorKind::ALL
            .iter()
            .filter(|k| self.failed_of(**k) > 0)
            .map(|k| format!("{} {}", k, self.failed_of(*k)))
            .collect();
        if !kinds.is_empty() {
            line.push_str(&format!(" ({})", kinds.join(", ")));
        }
        writeln!(w, "{line}")?;
        let statuses: Vec<String> = self.statuses().map(|(s, n)| format!("{s} ×{n}")).collect();
        if !statuses.is_empty() || self.retries > 0 {
            let statuses = if statuses.is_empty() {
                "none".to_owned()
            } else {
                statuses.join(", ")
            };
            let mut line = format!("statuses: {statuses}; retries: {}", self.retries);
            if let Some(refused) = self.retries_refused {
                line.push_str(&format!(" ({refused} refused by --retry-budget)"));
            }
            writeln!(w, "{line}")?;
        }
        if let Some(counts) = &self.changes {
            let each: Vec<String> = Change::ALL
                .iter()
                .map(|c| format!("{c} {}", counts[*c as usize]))
                .collect();
            writeln!(w, "changes: {}", each.join(", "))?;
        }
        if let Some(hosts) = self.circuits_opened.as_ref().filter(|h| !h.is_empty()) {
            writeln!(w, "circuit opened for: {}", hosts.join(", "))?;
        }
        if let (Some(p50), Some(max)) = (self.latency(0.5), self.latency_max()) {
            writeln!(
                w,
                "latency: p50 {}, p90 {}, p99 {}, max {}",
                human_duration(p50),
                human_duration(self.latency(0.9).unwrap_or(p50)),
                human_duration(self.latency(0.99).unwrap_or(p50)),
                human_duration(max)
            )?;
        }
        if let Some(rows) = &self.hosts {
            write_hosts(w, rows)?;
        }
        for t in &self.throttled {
            writeln!(
                w,
                "hint: {} answered 429/503 to {} of {} requests; pace it with --host-rate \
                 (requests per second), or let every host adapt from the start with --adaptive",
                t.host, t.throttled, t.requests
            )?;
        }
        if let Some(reason) = self.stopped {
            writeln!(
                w,
                "stopped: {}; {} {} read but not started",
                reason.message(),
                self.not_started,
                urls(self.not_started)
            )?;
        }
        Ok(())
    }

    /// The same numbers as one JSON object (`--stats`).
    pub fn to_json(&self) -> Value {
        let ms = |d: Option<Duration>| d.map(|d| d.as_micros() as f64 / 1000.0);
        let mut kinds = Map::new();
        for k in ErrorKind::ALL {
            if self.failed_of(k) > 0 {
                kinds.insert(k.as_str().to_owned(), self.failed_of(k).into());
            }
        }
        let mut statuses = Map::new();
        for (s, n) in self.statuses() {
            statuses.insert(s.to_string(), n.into());
        }
        let changes = self.changes.map(|counts| {
            Change::ALL
                .iter()
                .map(|c| (c.as_str().to_owned(), Value::from(counts[*c as usize])))
                .collect::<Map<_, _>>()
        });
        json!({
            "urls": self.records,
            "ok": self.ok,
            "failed": self.failed,
            "failed_by_kind": kinds,
            "statuses": statuses,
            "retries": self.retries,
            // Rounded as the README shows them: 0.1 ms and 0.1 request/s
            // are finer than a run's wall time can be measured to.
            "elapsed_s": round(self.elapsed.as_secs_f64(), 4),
            "rate_per_s": round(self.rate(), 1),
            "latency_ms": {
                "p50": ms(self.latency(0.5)),
                "p90": ms(self.latency(0.9)),
                "p99": ms(self.latency(0.99)),
                "max": ms(self.latency_max()),
            },
            "not_started": self.not_started,
            "stopped": self.stopped.map(|s| s.name()),
            "concurrency": self.concurrency,
            "retries_refused": self.retries_refused,
            "circuits_opened": self.circuits_opened,
            "hosts": self.hosts.as_ref().map(|rows| {
                rows.iter().map(|(h, r)| row_json(h, r)).collect::<Vec<_>>()
            }),
            "changes": changes,
        })
    }
}

fn urls(n: u64) -> &'static str {
    if n == 1 { "URL" } else { "URLs" }
}

/// `x` with at most `decimals` digits after the point.
fn round(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale
}

/// Hosts shown in the human summary; `--stats` has up to 1,000.
const SUMMARY_HOSTS: usize = 20;

/// The busiest hosts, one aligned line each.
fn write_hosts(w: &mut impl Write, rows: &[(String, HostRow)]) -> io::Result<()> {
    let shown: Vec<_> = rows
        .iter()
        .filter(|(h, _)| h != "other")
        .take(SUMMARY_HOSTS)
        .collect();
    let width = shown.iter().map(|(h, _)| h.len()).max().unwrap_or(0);
    let more = rows.len() - shown.len();
    let title = match more {
        0 => "hosts:".to_owned(),
        n => format!("hosts (the {} busiest; {n} more in --stats):", shown.len()),
    };
    writeln!(w, "{title}")?;
    for (host, r) in shown {
        let time = |q| r.latency(q).map_or("-".to_owned(), human_duration);
        let mut line = format!(
            "  {host:<width$}  {} requests, {} ok, {} 429/503, {} retries, p50 {}, p99 {}",
            r.requests,
            r.ok,
            r.throttled,
            r.retries,
            time(0.5),
            time(0.99)
        );
        if let Some(Some(limit)) = r.limit {
            line.push_str(&format!(", limit {limit}"));
        }
        if let Some(Some(rate)) = r.rate {
            line.push_str(&format!(", rate {}/s", round(rate, 3)));
        }
        writeln!(w, "{line}")?;
    }
    Ok(())
}

impl Observer for Summary {
    fn record(&mut self, record: &Record) {
        self.add(record);
    }

    fn finish(&mut self, end: &RunEnd<'_>) {
        self.elapsed = end.elapsed;
        self.concurrency = end.gates.concurrency();
        self.stopped = end.stopped;
        self.not_started = end.read.saturating_sub(self.records);
        self.retries_refused = end.gates.budget().map(|b| b.refused());
        self.circuits_opened = end.gates.breakers().map(|b| b.tripped());
        let adaptive = end.gates.adaptive();
        self.hosts = end.hosts.map(|h| match adaptive.mode() {
            // The `limit` key exists only in --adaptive runs.
            Adapt::Always => h.rows(Some(&|host: &str| adaptive.limit_of(host))),
            _ => h.rows(None),
        });
        // The `rate` key, only with --host-rate or --rate-for; `other`
        // stands for many hosts, and has none.
        if let (Some(rows), Some(rates)) = (self.hosts.as_mut(), end.gates.host_rates()) {
            for (host, row) in rows {
                row.rate = Some(
                    (host != "other")
                        .then(|| rates.rate_of_key(host).map(|r| r.per_second))
                        .flatten(),
                );
            }
        }
        self.throttled = adaptive.most_throttled(THROTTLED_HINTS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(status: Option<u16>, kind: Option<ErrorKind>, attempts: u32, ms: u64) -> Record {
        let mut r = Record::without_request(0, "u".into(), ErrorKind::Other, String::new());
        r.status = status;
        r.attempts = attempts;
        r.elapsed_ms = Duration::from_millis(ms);
        match kind {
            Some(k) => r.error.as_mut().unwrap().kind = k,
            None => {
                r.error = None;
                r.ok = true;
            }
        }
        r
    }

    #[test]
    fn counts_kinds_statuses_retries_and_latency() {
        let mut s = Summary::default();
        for i in 1..=100 {
            s.add(&record(Some(200), None, 1, i));
        }
        s.add(&record(Some(503), Some(ErrorKind::Status), 3, 1000));
        s.add(&record(None, Some(ErrorKind::Timeout), 2, 2000));
        s.add(&record(None, Some(ErrorKind::InvalidUrl), 0, 0));
        s.add(&record(None, Some(ErrorKind::Cancelled), 1, 9000));
        assert_eq!((s.records, s.ok, s.failed), (104, 100, 4));
        assert_eq!(s.failed_of(ErrorKind::Timeout), 1);
        assert_eq!(s.retries, 3);
        assert_eq!(s.statuses().collect::<Vec<_>>(), [(200, 100), (503, 1)]);
        // 102 samples: 1..=100 ms, 1 s, 2 s (no invalid or cancelled ones).
        let p50 = s.latency(0.5).unwrap().as_millis();
        assert!((50..=52).contains(&p50), "{p50}");
        let max = s.latency_max().unwrap().as_millis();
        assert!((1990..=2010).contains(&max), "{max}");
        let j = s.to_json();
        assert_eq!(j["failed_by_kind"]["timeout"], 1);
        assert_eq!(j["statuses"]["503"], 1);
        assert_eq!(j["urls"], 104);
    }

    #[test]
    fn changes_are_counted_with_a_baseline_only() {
        let mut s = Summary::default();
        s.add(&record(Some(200), None, 1, 1));
        assert_eq!(s.changes, None);
        assert!(s.to_json()["changes"].is_null());
        let mut new = record(Some(500), Some(ErrorKind::Status), 1, 1);
        new.change = Some(Some(Change::NewFailure));
        let mut old = record(Some(404), Some(ErrorKind::Status), 1, 1);
        old.change = Some(Some(Change::StillFailing));
        let mut fresh = record(Some(200), None, 1, 1);
        fresh.change = Some(Some(Change::NewUrl));
        let mut cancelled = record(None, Some(ErrorKind::Cancelled), 1, 1);
        cancelled.change = Some(None);
        for r in [&new, &old, &fresh, &cancelled] {
            s.add(r);
        }
        assert_eq!(s.changes, Some([1, 1, 0, 1, 0, 0]));
        assert_eq!(s.new_failed, 1, "an ok new_url is not a failure");
        let j = s.to_json();
        assert_eq!(
            j["changes"].to_string(),
            r#"{"new_url":1,"new_failure":1,"recovered":0,"still_failing":1,"changed":0,"unchanged":0}"#
        );
        let mut text = Vec::new();
        s.write_text(&mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.contains("changes: new_url 1, new_failure 1, recovered 0, still_failing 1, changed 0, unchanged 0\n"),
            "{text}"
        );
    }

    #[test]
    fn an_empty_run_has_no_latency() {
        let s = Summary::default();
        assert_eq!(s.latency(0.5), None);
        assert!(s.to_json()["latency_ms"]["p50"].is_null());
        let mut text = Vec::new();
        s.write_text(&mut text).unwrap();
        assert_eq!(String::from_utf8(text).unwrap().lines().count(), 1);
    }
}
