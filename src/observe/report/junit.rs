//! `--report junit=FILE`: JUnit XML as GitLab, Jenkins and the GitHub test
//! reporters read it. One `<testsuite name="fanout">`, one `<testcase>` per
//! record (`name` = URL, `classname` = host, `time` = elapsed seconds); a
//! failed record carries `<failure type="KIND" message="…">`, a cancelled or
//! circuit-open one `<skipped/>`.
//!
//! The totals sit on the `<testsuite>` start tag, before the test cases, but
//! are known only at the end; holding the cases until then would hold the
//! whole list. So each case is written to a spool file beside FILE as its
//! record comes, and at the end the header, the spool and the closing tags
//! go to FILE (through `files::write_whole`). quick-xml escapes what is
//! written.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::{Budget, Format, RunEnd, is_skipped, xml_safe};
use crate::record::Record;
use quick_xml::Writer;
use quick_xml::events::BytesText;

/// The suite's name, also the class of records without a host.
const SUITE: &str = "fanout";

/// The JUnit report being built.
pub struct Junit<W = BufWriter<File>> {
    spool: W,
    tests: u64,
    failures: u64,
    skipped: u64,
}

impl Junit {
    /// A report whose spool lives in `dir` (FILE's directory, so it counts
    /// against the same disk and is never on a smaller `/tmp`). The spool
    /// has no name: nothing is left of it however the process ends, and
    /// its errors name no temporary file.
    pub fn new(dir: &Path) -> io::Result<Junit> {
        let spool = tempfile::tempfile_in(dir)?;
        Ok(Junit::over(BufWriter::with_capacity(64 * 1024, spool)))
    }
}

impl<W: Write> Junit<W> {
    fn over(spool: W) -> Junit<W> {
        Junit {
            spool,
            tests: 0,
            failures: 0,
            skipped: 0,
        }
    }

    /// Spools one record's test case.
    fn add(&mut self, r: &Record) -> io::Result<()> {
        self.tests += 1;
        let name = xml_safe(&r.url);
        let class = classname(&r.url);
        let class = xml_safe(&class);
        let time = seconds(r.elapsed_ms.as_secs_f64());
        self.spool.write_all(b"    ")?;
        let mut xml = Writer::new(&mut self.spool);
        let case = xml
            .create_element("testcase")
            .with_attribute(("name", name.as_ref()))
            .with_attribute(("classname", class.as_ref()))
            .with_attribute(("time", time.as_str()));
        match &r.error {
            None => case.write_empty()?,
            Some(e) => {
                let message = xml_safe(&e.message);
                let message = message.as_ref();
                if is_skipped(e.kind) {
                    self.skipped += 1;
                    case.write_inner_content(|x| {
                        x.create_element("skipped")
                            .with_attribute(("message", message))
                            .write_empty()
                            .map(drop)
                    })?
                } else {
                    self.failures += 1;
                    case.write_inner_content(|x| {
                        x.create_element("failure")
                            .with_attribute(("type", e.kind.as_str()))
                            .with_attribute(("message", message))
                            .write_text_content(BytesText::new(message))
                            .map(drop)
                    })?
                }
            }
        };
        self.spool.write_all(b"\n")
    }

    /// Writes header, the spooled cases (from `cases`) and closing tags.
    fn write(
        &self,
        end: &RunEnd<'_>,
        cases: &mut dyn Read,
        out: &mut dyn Write,
        budget: &Budget,
    ) -> io::Result<()> {
        let (tests, failures, skipped) = (self.tests, self.failures, self.skipped);
        let time = seconds(end.elapsed.as_secs_f64());
        let totals = format!(
            r#"name="{SUITE}" tests="{tests}" failures="{failures}" errors="0" skipped="{skipped}" time="{time}""#
        );
        writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(out, "<testsuites {totals}>")?;
        writeln!(out, "  <testsuite {totals}>")?;
        // In chunks, so a signal's budget is checked while a long spool is
        // copied, not only after it.
        let mut buf = vec![0; 256 * 1024];
        loop {
            budget.check()?;
            let n = match cases.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            out.write_all(&buf[..n])?;
        }
        writeln!(out, "  </testsuite>")?;
        writeln!(out, "</testsuites>")?;
        budget.check()
    }
}

impl Format for Junit {
    fn record(&mut self, record: &Record) -> io::Result<()> {
        self.add(record)
    }

    fn finish(&mut self, end: &RunEnd<'_>, out: &mut dyn Write, budget: &Budget) -> io::Result<()> {
        self.spool.flush()?;
        let file: &mut File = self.spool.get_mut();
        file.seek(SeekFrom::Start(0))?;
        let mut cases = io::BufReader::new(file.try_clone()?);
        self.write(end, &mut cases, out, budget)
    }
}

/// The host of a URL, or the suite's name when the line is not a URL.
fn classname(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| SUITE.to_owned())
}

/// Seconds with millisecond precision, as JUnit's `time` attributes are.
fn seconds(s: f64) -> String {
    format!("{s:.3}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::report::tests_support::{end_of, fixed_records};

    /// The wire format, byte for byte: a change here is a change for every
    /// CI system that reads these files.
    #[test]
    fn the_report_is_pinned() {
        let mut junit = Junit::over(Vec::new());
        for r in fixed_records() {
            junit.add(&r).unwrap();
        }
        let spool = std::mem::take(&mut junit.spool);
        let mut out = Vec::new();
        let budget = Budget::until(None);
        end_of(|end| junit.write(end, &mut &spool[..], &mut out, &budget)).unwrap();
        let expected = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="fanout" tests="5" failures="2" errors="0" skipped="2" time="1.500">
  <testsuite name="fanout" tests="5" failures="2" errors="0" skipped="2" time="1.500">
    <testcase name="http://a.example/ok" classname="a.example" time="0.012"/>
    <testcase name="http://a.example/x?q=&quot;&lt;b&gt;&quot;&amp;r=1" classname="a.example" time="0.250"><failure type="status" message="503 Service Unavailable &lt;html&gt;">503 Service Unavailable &lt;html&gt;</failure></testcase>
    <testcase name="not a url" classname="fanout" time="0.000"><failure type="invalid_url" message="relative URL without a base">relative URL without a base</failure></testcase>
    <testcase name="https://b.example:8443/" classname="b.example" time="0.000"><skipped message="circuit open"/></testcase>
    <testcase name="http://c.example/bell" classname="c.example" time="1.000"><skipped message="interrupted (SIGINT)"/></testcase>
  </testsuite>
</testsuites>
"#;
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    #[test]
    fn a_spent_budget_stops_the_copy() {
        let junit = Junit::over(Vec::new());
        let mut out = Vec::new();
        let spent = Budget::until(Some(std::time::Instant::now()));
        let e = end_of(|end| junit.write(end, &mut &b"x"[..], &mut out, &spent)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    }
}
