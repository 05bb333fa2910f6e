//! `--report markdown=FILE`: a summary table and a table of failed URLs, fit
//! for `$GITHUB_STEP_SUMMARY` (append it there with `cat`).
//!
//! Memory is bounded: counters, and [`MAX_ROWS`] failed records with each
//! cell cut to [`MAX_CELL`] characters; the rest are counted in a closing
//! "N more" line. Records come as they finish, but the table is in input
//! order — with `--baseline`, new failures first, then the others, each
//! group in input order: the rows kept are those first in that order (a
//! heap that drops its last when an earlier one comes), sorted at the end. GitHub refuses step summaries over 1 MiB; this
//! stays far below (100 rows of at most 5 × 200 characters).

use std::collections::BinaryHeap;
use std::io::{self, Write};

use super::{Budget, Format, RunEnd, is_skipped};
use crate::record::{Change, ErrorKind, Record};

/// Failed URLs listed; the rest are only counted.
pub const MAX_ROWS: usize = 100;
/// Characters per table cell, an ellipsis included when cut.
pub const MAX_CELL: usize = 200;

/// The Markdown report being built.
#[derive(Default)]
pub struct Markdown {
    records: u64,
    ok: u64,
    by_kind: [u64; ErrorKind::ALL.len()],
    /// The failed records first in the table's order so far, as `(old,
    /// index, "| index | url | status | kind | message |")` — `old` is
    /// false for a new failure (`--baseline`) — cells ready to print; the
    /// last on top.
    rows: BinaryHeap<(bool, u64, String)>,
    more: u64,
    /// `--baseline`: records per `change`, in `Change::ALL` order.
    changes: Option<[u64; Change::ALL.len()]>,
}

impl Markdown {
    fn add(&mut self, r: &Record) {
        self.records += 1;
        if let Some(change) = r.change {
            let counts = self.changes.get_or_insert_default();
            if let Some(c) = change {
                counts[c as usize] += 1;
            }
        }
        let Some(e) = &r.error else {
            self.ok += 1;
            return;
        };
        self.by_kind[e.kind as usize] += 1;
        if is_skipped(e.kind) {
            return;
        }
        let old = !matches!(r.change, Some(Some(c)) if c.is_new());
        if self.rows.len() == MAX_ROWS {
            self.more += 1;
            match self.rows.peek() {
                Some((o, highest, _)) if (*o, *highest) > (old, r.index) => drop(self.rows.pop()),
                _ => return,
            }
        }
        let status = r.status.map_or_else(|| "–".to_owned(), |s| s.to_string());
        let row = format!(
            "| {} | {} | {} | {} | {} |",
            r.index,
            cell(&r.url),
            status,
            e.kind,
            cell(&e.message)
        );
        self.rows.push((old, r.index, row));
    }

    fn count(&self, skipped: bool) -> u64 {
        ErrorKind::ALL
            .into_iter()
            .filter(|k| is_skipped(*k) == skipped)
            .map(|k| self.by_kind[k as usize])
            .sum()
    }

    fn write(&self, end: &RunEnd<'_>, out: &mut dyn Write) -> io::Result<()> {
        let (failed, skipped) = (self.count(false), self.count(true));
        match failed {
            0 => writeln!(out, "### fanout: no failed URLs")?,
            n => writeln!(out, "### fanout: {n} of {} URLs failed", self.records)?,
        }
        writeln!(out)?;
        writeln!(out, "| URLs | ok | failed | skipped | time |")?;
        writeln!(out, "|---:|---:|---:|---:|---:|")?;
        writeln!(
            out,
            "| {} | {} | {failed} | {skipped} | {:.3} s |",
            self.records,
            self.ok,
            end.elapsed.as_secs_f64()
        )?;
        if failed + skipped > 0 {
            writeln!(out)?;
            writeln!(out, "| error | URLs |")?;
            writeln!(out, "|---|---:|")?;
            for k in ErrorKind::ALL {
                if self.by_kind[k as usize] > 0 {
                    writeln!(out, "| {k} | {} |", self.by_kind[k as usize])?;
                }
            }
        }
        if let Some(counts) = &self.changes {
            writeln!(out)?;
            writeln!(out, "| change | URLs |")?;
            writeln!(out, "|---|---:|")?;
            for c in Change::ALL {
                writeln!(out, "| {c} | {} |", counts[c as usize])?;
            }
        }
        if let Some(reason) = end.stopped {
            let not_started = end.read.saturating_sub(self.records);
            writeln!(out)?;
            writeln!(
                out,
                "Stopped early: {}; {not_started} URLs read but not started.",
                cell(&reason.message())
            )?;
        }
        if !self.rows.is_empty() {
            writeln!(out)?;
            writeln!(out, "#### Failed URLs")?;
            writeln!(out)?;
            writeln!(out, "| # | URL | status | error | message |")?;
            writeln!(out, "|---:|---|---:|---|---|")?;
            let mut rows: Vec<&(bool, u64, String)> = self.rows.iter().collect();
            rows.sort_unstable_by_key(|(old, index, _)| (*old, *index));
            for (_, _, row) in rows {
                writeln!(out, "{row}")?;
            }
        }
        if self.more > 0 {
            writeln!(out)?;
            writeln!(
                out,
                "…and {} more failed URLs, not shown (see the JSON Lines records).",
                self.more
            )?;
        }
        Ok(())
    }
}

impl Format for Markdown {
    fn record(&mut self, record: &Record) -> io::Result<()> {
        self.add(record);
        Ok(())
    }

    fn finish(&mut self, end: &RunEnd<'_>, out: &mut dyn Write, budget: &Budget) -> io::Result<()> {
        budget.check()?;
        self.write(end, out)
    }
}

/// A table cell: cut to [`MAX_CELL`] characters, then made inert — a `|`
/// would end the cell, a line break the row, and `<`, `>`, `&` could start
/// HTML, which GitHub renders.
fn cell(s: &str) -> String {
    let cut = match s.char_indices().nth(MAX_CELL) {
        Some(_) => {
            let keep: String = s.chars().take(MAX_CELL - 1).collect();
            keep + "…"
        }
        None => s.to_owned(),
    };
    let mut out = String::with_capacity(cut.len());
    for c in cut.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::report::tests_support::{end_of, fixed_records};

    /// The wire format, byte for byte.
    #[test]
    fn the_report_is_pinned() {
        let mut md = Markdown::default();
        for r in fixed_records() {
            md.add(&r);
        }
        let mut out = Vec::new();
        end_of(|end| md.write(end, &mut out)).unwrap();
        let expected = "\
### fanout: 2 of 5 URLs failed

| URLs | ok | failed | skipped | time |
|---:|---:|---:|---:|---:|
| 5 | 1 | 2 | 2 | 1.500 s |

| error | URLs |
|---|---:|
| invalid_url | 1 |
| status | 1 |
| circuit_open | 1 |
| cancelled | 1 |

Stopped early: interrupted (SIGINT); 2 URLs read but not started.

#### Failed URLs

| # | URL | status | error | message |
|---:|---|---:|---|---|
| 1 | http://a.example/x?q=\"&lt;b&gt;\"&amp;r=1 | 503 | status | 503 Service Unavailable &lt;html&gt; |
| 2 | not a url | – | invalid_url | relative URL without a base |
";
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    #[test]
    fn cells_are_cut_and_made_inert() {
        let long = "x".repeat(500);
        let c = cell(&long);
        assert_eq!(c.chars().count(), MAX_CELL);
        assert!(c.ends_with('…'));
        assert_eq!(cell(&"y".repeat(MAX_CELL)), "y".repeat(MAX_CELL));
        assert_eq!(cell("a|b\nc\r\nd\u{1b}e"), "a\\|b c  de");
    }

    #[test]
    fn only_the_first_rows_are_kept() {
        let mut md = Markdown::default();
        let failed = fixed_records().remove(1);
        for _ in 0..MAX_ROWS + 7 {
            md.add(&failed);
        }
        assert_eq!((md.rows.len(), md.more), (MAX_ROWS, 7));
        let mut out = Vec::new();
        end_of(|end| md.write(end, &mut out)).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.ends_with("…and 7 more failed URLs, not shown (see the JSON Lines records).\n")
        );
    }

    /// With `--baseline`: a row per change, and new failures listed first.
    #[test]
    fn new_failures_come_first_and_changes_are_counted() {
        let mut md = Markdown::default();
        let failed = fixed_records().remove(1);
        for (index, change) in [
            (0, Change::StillFailing),
            (1, Change::NewFailure),
            (2, Change::StillFailing),
            (3, Change::NewUrl),
        ] {
            let mut r = failed.clone();
            r.index = index;
            r.change = Some(Some(change));
            md.add(&r);
        }
        let mut ok = fixed_records().remove(0);
        ok.change = Some(Some(Change::Unchanged));
        md.add(&ok);
        let mut out = Vec::new();
        end_of(|end| md.write(end, &mut out)).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(
                "| change | URLs |\n|---|---:|\n| new_url | 1 |\n| new_failure | 1 |\n\
                 | recovered | 0 |\n| still_failing | 2 |\n| changed | 0 |\n| unchanged | 1 |\n"
            ),
            "{text}"
        );
        let shown: Vec<u64> = text
            .lines()
            .skip_while(|l| *l != "#### Failed URLs")
            .filter_map(|l| l.strip_prefix("| ")?.split(' ').next()?.parse().ok())
            .collect();
        assert_eq!(shown, [1, 3, 0, 2]);
    }

    /// Records come in as they finish; the table keeps the failures with
    /// the lowest indexes and lists them in input order.
    #[test]
    fn rows_are_the_lowest_indexes_in_input_order() {
        let mut md = Markdown::default();
        let failed = fixed_records().remove(1);
        let total = MAX_ROWS as u64 + 20;
        // 119, 0, 118, 1, …: neither input order nor its reverse.
        let order = (0..total / 2).flat_map(|i| [total - 1 - i, i]);
        for index in order {
            let mut r = failed.clone();
            r.index = index;
            md.add(&r);
        }
        let mut out = Vec::new();
        end_of(|end| md.write(end, &mut out)).unwrap();
        let text = String::from_utf8(out).unwrap();
        let shown: Vec<u64> = text
            .lines()
            .skip_while(|l| *l != "#### Failed URLs")
            .filter_map(|l| l.strip_prefix("| ")?.split(' ').next()?.parse().ok())
            .collect();
        assert_eq!(shown, (0..MAX_ROWS as u64).collect::<Vec<_>>());
        assert!(text.contains("…and 20 more failed URLs"), "{text}");
    }
}
