//! Text: one aligned, human line per URL — status and/or error kind, time,
//! size, URL, and a short error — coloured when asked to.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::Duration;

use anstyle::{AnsiColor, Style};

use super::RecordWriter;
use crate::record::{ErrorKind, Record};

/// Longest error message shown; the JSON formats keep the whole text.
const MESSAGE_CHARS: usize = 60;

/// Writes text lines.
pub struct TextWriter<W: Write> {
    out: W,
    color: bool,
    line: String,
}

impl<W: Write> TextWriter<W> {
    /// Writes to `out`, with ANSI colours when `color`.
    pub fn new(out: W, color: bool) -> Self {
        TextWriter {
            out,
            color,
            line: String::with_capacity(256),
        }
    }
}

fn style(color: AnsiColor) -> Style {
    Style::new().fg_color(Some(color.into()))
}

/// Compact durations: `850µs`, `12.4ms`, `1.53s`, `2m05s`.
pub fn human_duration(d: Duration) -> String {
    let us = d.as_micros();
    if us < 1_000 {
        format!("{us}µs")
    } else if us < 1_000_000 {
        format!("{:.1}ms", us as f64 / 1e3)
    } else if us < 60_000_000 {
        format!("{:.2}s", us as f64 / 1e6)
    } else {
        let s = d.as_secs();
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

/// Compact sizes: `335B`, `1.2KiB`, `10.0MiB`.
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n}B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1}{}", UNITS[unit])
}

impl<W: Write> RecordWriter for TextWriter<W> {
    fn write(&mut self, r: &Record) -> io::Result<()> {
        let line = &mut self.line;
        line.clear();
        let (label, color) = match (r.status, r.error_kind()) {
            (Some(s), None) => (s.to_string(), AnsiColor::Green),
            (Some(s), Some(ErrorKind::Status)) => (s.to_string(), AnsiColor::Red),
            (Some(s), Some(ErrorKind::Assertion)) => (format!("{s} assert"), AnsiColor::Yellow),
            (_, Some(ErrorKind::Cancelled)) => ("cancelled".to_owned(), AnsiColor::Yellow),
            // A response arrived (the 302 of a redirect loop, the 200 of a
            // body cut short): its status comes first, as the README says.
            (Some(s), Some(kind)) => (format!("{s} {kind}"), AnsiColor::Red),
            (None, Some(kind)) => (kind.as_str().to_owned(), AnsiColor::Red),
            (None, None) => ("-".to_owned(), AnsiColor::Red),
        };
        let time = if r.attempts == 0 {
            "-".to_owned()
        } else {
            human_duration(r.elapsed_ms)
        };
        let size = r.bytes.map_or_else(|| "-".to_owned(), human_size);
        let st = if self.color {
            style(color)
        } else {
            Style::new()
        };
        let _ = write!(line, "{st}{label:<12}{st:#} {time:>8} {size:>9}  {}", r.url);
        if r.attempts > 1 {
            let _ = write!(line, " (×{})", r.attempts);
        }
        answered(line, r);
        if let Some(e) = &r.error {
            let dim = if self.color {
                Style::new().dimmed()
            } else {
                Style::new()
            };
            let mut msg: String = e.message.chars().take(MESSAGE_CHARS).collect();
            if msg.len() < e.message.len() {
                msg.push('…');
            }
            let _ = write!(line, "  {dim}{msg}{dim:#}");
        }
        line.push('\n');
        self.out.write_all(line.as_bytes())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// With `--tls-info` and `--timings`: the certificate's days left and the
/// slowest phase of the final hop.
fn answered(line: &mut String, r: &Record) {
    if let Some(Some(cert)) = &r.tls {
        let _ = write!(line, "  cert {:.0}d left", cert.days_left.trunc());
    }
    if let Some(Some(t)) = &r.timings {
        let (phase, took) = t.slowest();
        let _ = write!(line, "  slowest {phase} {}", human_duration(took));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_read_well() {
        assert_eq!(human_duration(Duration::from_micros(850)), "850µs");
        assert_eq!(human_duration(Duration::from_micros(12_400)), "12.4ms");
        assert_eq!(human_duration(Duration::from_millis(1530)), "1.53s");
        assert_eq!(human_duration(Duration::from_secs(125)), "2m05s");
        assert_eq!(human_size(335), "335B");
        assert_eq!(human_size(1229), "1.2KiB");
        assert_eq!(human_size(10 << 20), "10.0MiB");
    }

    #[test]
    fn lines_are_plain_without_color() {
        let mut w = TextWriter::new(Vec::new(), false);
        let r = Record::without_request(0, "ftp://x".into(), ErrorKind::InvalidUrl, "bad".into());
        w.write(&r).unwrap();
        let text = String::from_utf8(w.out).unwrap();
        assert_eq!(text, "invalid_url         -         -  ftp://x  bad\n");
        let mut w = TextWriter::new(Vec::new(), true);
        w.write(&r).unwrap();
        assert!(String::from_utf8(w.out).unwrap().contains('\x1b'));
    }

    #[test]
    fn days_left_and_the_slowest_phase_show_when_asked_for() {
        use crate::record::{Cert, Timings};
        let mut r = Record::without_request(0, "https://x/".into(), ErrorKind::Other, "m".into());
        r.error = None;
        r.ok = true;
        r.status = Some(200);
        r.attempts = 1;
        r.elapsed_ms = Duration::from_millis(12);
        r.tls = Some(Some(Box::new(Cert {
            subject: String::new(),
            issuer: String::new(),
            sans: vec![],
            not_before: 0,
            not_after: 0,
            days_left: 29.71,
        })));
        r.timings = Some(Some(Box::new(Timings {
            reused: false,
            dns_ms: None,
            connect_ms: Some(Duration::from_millis(9)),
            ttfb_ms: Duration::from_millis(2),
            download_ms: Duration::ZERO,
        })));
        let mut w = TextWriter::new(Vec::new(), false);
        w.write(&r).unwrap();
        let text = String::from_utf8(w.out).unwrap();
        assert!(
            text.ends_with("https://x/  cert 29d left  slowest connect 9.0ms\n"),
            "{text}"
        );
    }
}
