//! Record writers, one per output format, behind one small trait.
//!
//! One task owns the writer: records are written whole, one after another,
//! so lines never interleave or tear, whatever the concurrency.

mod csv;
mod jsonl;
mod text;

use std::io::{self, Write};

pub use self::csv::CsvWriter;
pub use self::jsonl::JsonlWriter;
pub use self::text::{TextWriter, human_duration, human_size};

use crate::record::Record;

/// Writes records in one format.
pub trait RecordWriter {
    /// Writes one whole record.
    fn write(&mut self, record: &Record) -> io::Result<()>;
    /// Pushes buffered records to the underlying stream.
    fn flush(&mut self) -> io::Result<()>;
}

/// An output format, as resolved from `--format` (`auto` is decided by the
/// command line: text on a terminal, JSON Lines otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// One JSON object per line.
    #[default]
    Jsonl,
    /// One aligned, human line per URL.
    Text,
    /// Comma-separated values with a header line.
    Csv,
}

/// A writer for `format` on `out`; `color` only matters for text.
pub fn writer<'w, W: Write + 'w>(
    format: Format,
    out: W,
    color: bool,
) -> Box<dyn RecordWriter + 'w> {
    match format {
        Format::Jsonl => Box::new(JsonlWriter::new(out)),
        Format::Text => Box::new(TextWriter::new(out, color)),
        Format::Csv => Box::new(CsvWriter::new(out)),
    }
}
