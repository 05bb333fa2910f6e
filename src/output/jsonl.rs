//! JSON Lines: one record per line, keys in the documented order.

use std::io::{self, Write};

use super::RecordWriter;
use crate::record::Record;

/// Writes one JSON object per line.
pub struct JsonlWriter<W: Write> {
    out: W,
    /// Reused for every record: one allocation for the whole run.
    line: Vec<u8>,
}

impl<W: Write> JsonlWriter<W> {
    /// Writes to `out`, typically a `BufWriter` around stdout.
    pub fn new(out: W) -> Self {
        JsonlWriter {
            out,
            line: Vec::with_capacity(512),
        }
    }
}

impl<W: Write> RecordWriter for JsonlWriter<W> {
    fn write(&mut self, record: &Record) -> io::Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, record).map_err(io::Error::other)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::ErrorKind;

    #[test]
    fn one_line_per_record() {
        let mut w = JsonlWriter::new(Vec::new());
        for i in 0..3 {
            let r = Record::without_request(
                i,
                format!("x{i}"),
                ErrorKind::InvalidUrl,
                "bad\nline".into(),
            );
            w.write(&r).unwrap();
        }
        let text = String::from_utf8(w.out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        for (i, l) in lines.iter().enumerate() {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["index"], i);
            assert_eq!(v["error"]["message"], "bad\nline");
        }
    }
}
