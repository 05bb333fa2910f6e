//! CSV: a header, then one row per record, quoted by the `csv` crate.

use std::io::{self, Write};

use super::RecordWriter;
use crate::record::Record;

/// The header line, as the README documents it.
pub const HEADER: [&str; 10] = [
    "index",
    "url",
    "final_url",
    "ok",
    "status",
    "attempts",
    "elapsed_ms",
    "bytes",
    "error_kind",
    "error_message",
];

/// Writes CSV rows.
pub struct CsvWriter<W: Write> {
    out: ::csv::Writer<W>,
    header_written: bool,
}

impl<W: Write> CsvWriter<W> {
    /// Writes to `out`; the header comes with the first record (an empty
    /// run writes nothing).
    pub fn new(out: W) -> Self {
        CsvWriter {
            out: ::csv::WriterBuilder::new().from_writer(out),
            header_written: false,
        }
    }
}

impl<W: Write> RecordWriter for CsvWriter<W> {
    fn write(&mut self, r: &Record) -> io::Result<()> {
        if !self.header_written {
            self.out.write_record(HEADER)?;
            self.header_written = true;
        }
        let index = r.index.to_string();
        let status = r.status.map(|s| s.to_string()).unwrap_or_default();
        let elapsed = format!("{}", r.elapsed_ms.as_micros() as f64 / 1000.0);
        let bytes = r.bytes.map(|b| b.to_string()).unwrap_or_default();
        let (kind, message) = match &r.error {
            Some(e) => (e.kind.as_str(), e.message.as_str()),
            None => ("", ""),
        };
        self.out.write_record([
            index.as_str(),
            &r.url,
            r.final_url.as_deref().unwrap_or(""),
            if r.ok { "true" } else { "false" },
            &status,
            &r.attempts.to_string(),
            &elapsed,
            &bytes,
            kind,
            message,
        ])?;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
