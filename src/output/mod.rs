//! Record writers, one per output format, behind one small trait.
//!
//! One task owns the writer: records are serialised whole into a buffer and
//! handed to the underlying stream with a single `write_all`, so lines never
//! interleave or tear, whatever the concurrency.

mod jsonl;

use std::io;

pub use jsonl::JsonlWriter;

use crate::record::Record;

/// Writes records in one format.
pub trait RecordWriter {
    /// Writes one whole record.
    fn write(&mut self, record: &Record) -> io::Result<()>;
    /// Pushes buffered records to the underlying stream.
    fn flush(&mut self) -> io::Result<()>;
}
