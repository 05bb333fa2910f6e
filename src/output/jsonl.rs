//! JSON Lines: one record per line, keys in the documented order.
//!
//! A record is written field by field rather than by serde's derive: the
//! derived code escapes every key at run time and formats the peer address
//! through `core::fmt`, together about half the cost of a record, which is
//! paid once per URL. The values still go through serde_json, so strings and
//! numbers come out exactly as before, and a test holds the whole line equal
//! to `serde_json::to_string(&record)`.

use std::io::{self, Write};
use std::net::SocketAddr;

use serde::Serialize;

use super::RecordWriter;
use crate::record::{Record, millis};

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
        encode(&mut self.line, record).map_err(io::Error::other)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Appends `record` as one JSON object, the same bytes as
/// `serde_json::to_writer(out, record)`.
fn encode(out: &mut Vec<u8>, record: &Record) -> serde_json::Result<()> {
    // Exhaustive on purpose: a field added to `Record` fails to compile here
    // until it is written out.
    let Record {
        index,
        url,
        final_url,
        ok,
        status,
        attempts,
        elapsed_ms,
        ttfb_ms,
        bytes,
        content_type,
        http_version,
        remote_addr,
        redirects,
        error,
        id,
        request_id,
        method,
        timings,
        tls,
        headers,
        started_at,
        sha256,
        saved_to,
        change,
        body,
        body_encoding,
    } = record;
    out.extend_from_slice(b"{\"index\":");
    value(out, index)?;
    out.extend_from_slice(b",\"url\":");
    value(out, url)?;
    out.extend_from_slice(b",\"final_url\":");
    value(out, final_url)?;
    out.extend_from_slice(if *ok {
        b",\"ok\":true"
    } else {
        b",\"ok\":false"
    });
    out.extend_from_slice(b",\"status\":");
    value(out, status)?;
    out.extend_from_slice(b",\"attempts\":");
    value(out, attempts)?;
    out.extend_from_slice(b",\"elapsed_ms\":");
    value(out, &millis(*elapsed_ms))?;
    out.extend_from_slice(b",\"ttfb_ms\":");
    value(out, &ttfb_ms.map(millis))?;
    out.extend_from_slice(b",\"bytes\":");
    value(out, bytes)?;
    out.extend_from_slice(b",\"content_type\":");
    value(out, content_type)?;
    out.extend_from_slice(b",\"http_version\":");
    value(out, http_version)?;
    out.extend_from_slice(b",\"remote_addr\":");
    match remote_addr {
        Some(SocketAddr::V4(a)) => {
            // What `Display` writes, without `core::fmt`.
            out.push(b'"');
            for (i, octet) in a.ip().octets().into_iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                decimal(out, octet.into());
            }
            out.push(b':');
            decimal(out, a.port().into());
            out.push(b'"');
        }
        other => value(out, other)?,
    }
    out.extend_from_slice(b",\"redirects\":");
    value(out, redirects)?;
    out.extend_from_slice(b",\"error\":");
    value(out, error)?;
    if let Some(id) = id {
        out.extend_from_slice(b",\"id\":");
        value(out, id)?;
    }
    if let Some(id) = request_id {
        out.extend_from_slice(b",\"request_id\":");
        value(out, id)?;
    }
    if let Some(method) = method {
        out.extend_from_slice(b",\"method\":");
        value(out, method)?;
    }
    if let Some(timings) = timings {
        out.extend_from_slice(b",\"timings\":");
        value(out, timings)?;
    }
    if let Some(tls) = tls {
        out.extend_from_slice(b",\"tls\":");
        value(out, tls)?;
    }
    if let Some(headers) = headers {
        out.extend_from_slice(b",\"headers\":");
        value(out, headers)?;
    }
    if let Some(started_at) = started_at {
        out.extend_from_slice(b",\"started_at\":");
        value(out, started_at)?;
    }
    if let Some(sha256) = sha256 {
        out.extend_from_slice(b",\"sha256\":");
        value(out, sha256)?;
    }
    if let Some(saved_to) = saved_to {
        out.extend_from_slice(b",\"saved_to\":");
        value(out, saved_to)?;
    }
    if let Some(change) = change {
        out.extend_from_slice(b",\"change\":");
        value(out, change)?;
    }
    if let Some(body) = body {
        out.extend_from_slice(b",\"body\":");
        value(out, body)?;
    }
    if let Some(encoding) = body_encoding {
        out.extend_from_slice(b",\"body_encoding\":");
        value(out, encoding)?;
    }
    out.push(b'}');
    Ok(())
}

fn value<T: Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) -> serde_json::Result<()> {
    serde_json::to_writer(&mut *out, v)
}

fn decimal(out: &mut Vec<u8>, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
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

    /// The hand-written encoder and serde's derive agree byte for byte.
    #[test]
    fn same_bytes_as_serde() {
        use std::time::Duration;

        let full = Record {
            index: 12_345_678_901,
            url: "http://127.0.0.1:8080/a?q=\"x\"\\y".into(),
            final_url: Some("http://127.0.0.1:8080/b/é".into()),
            ok: true,
            status: Some(200),
            attempts: 3,
            elapsed_ms: Duration::from_micros(12_345),
            ttfb_ms: Some(Duration::from_nanos(3_100_999)),
            bytes: Some(1234),
            content_type: Some("text/plain; charset=\"utf-8\"\u{7}".into()),
            http_version: Some("HTTP/1.1"),
            remote_addr: Some("127.0.0.1:8080".parse().unwrap()),
            redirects: 1,
            error: None,
            id: None,
            request_id: None,
            method: None,
            timings: None,
            tls: None,
            headers: None,
            started_at: None,
            sha256: None,
            saved_to: None,
            change: None,
            body: None,
            body_encoding: None,
        };
        let mut records = vec![full.clone()];
        for id in [None, Some("0190b1e6-7c2a-7d7e-8f00-\"odd\"".to_string())] {
            let mut r = full.clone();
            r.request_id = Some(id);
            records.push(r);
        }
        for addr in [
            "0.0.0.0:0",
            "255.255.255.255:65535",
            "10.20.3.4:443",
            "[::1]:80",
            "[fe80::1%2]:8080",
        ] {
            let mut r = full.clone();
            r.remote_addr = Some(addr.parse().unwrap());
            records.push(r);
        }
        let mut text = full.clone();
        text.set_body("line\n\t\u{0}\"quoted\" ünïcödé".into());
        records.push(text);
        let mut binary = full.clone();
        binary.set_body(vec![0xff, 0x00, 0xfe]);
        binary.request_id = Some(Some("id".into()));
        binary.method = Some(Some("GET".into()));
        binary.saved_to = Some(Some("out/127.0.0.1_8080/b/\"é\"".into()));
        records.push(binary);
        let mut answered = full.clone();
        answered.request_id = Some(None);
        answered.method = Some(None);
        answered.timings = Some(Some(Box::new(crate::record::Timings {
            reused: false,
            dns_ms: None,
            connect_ms: Some(Duration::from_micros(3_204)),
            ttfb_ms: Duration::from_nanos(5_118_999),
            download_ms: Duration::ZERO,
        })));
        answered.tls = Some(Some(Box::new(crate::record::Cert {
            subject: "CN=example.com, O=\"Q\"".into(),
            issuer: "CN=R11, O=Let's Encrypt, C=US".into(),
            sans: vec!["example.com".into(), "::1".into()],
            not_before: 1_790_812_800,
            not_after: 1_798_675_199,
            days_left: -29.21,
        })));
        answered.headers = Some(Some(crate::record::Headers(vec![
            (
                "set-cookie".into(),
                Some(vec!["a=1".into(), "b=\"2\"".into()]),
            ),
            ("x-absent".into(), None),
        ])));
        answered.set_body(b"{}".to_vec());
        records.push(answered.clone());
        answered.timings = Some(None);
        answered.tls = Some(None);
        answered.headers = Some(None);
        records.push(answered);
        for id in [
            serde_json::Value::Null,
            serde_json::json!("row-\"7\"é"),
            serde_json::json!(42),
            serde_json::json!({"b": [1, 2.5, null], "a": true}),
        ] {
            let mut r = full.clone();
            r.id = Some(id);
            r.request_id = Some(None);
            records.push(r);
        }
        let mut unsaved = full.clone();
        unsaved.saved_to = Some(None);
        records.push(unsaved);
        let mut remembered = full.clone();
        remembered.started_at = Some(Some(crate::record::Stamp(1_796_550_063_123)));
        remembered.sha256 = Some(Some(Box::new(crate::record::Digest([0xab; 32]))));
        remembered.saved_to = Some(Some("out/a".into()));
        for change in crate::record::Change::ALL {
            remembered.change = Some(Some(change));
            records.push(remembered.clone());
        }
        remembered.headers = Some(None);
        remembered.started_at = Some(None);
        remembered.sha256 = Some(None);
        remembered.change = Some(None);
        remembered.set_body(b"x".to_vec());
        records.push(remembered);
        for kind in ErrorKind::ALL {
            let mut r = Record::without_request(0, "not a url".into(), kind, "a \"b\"\r\n".into());
            r.elapsed_ms = Duration::from_secs(3600);
            records.push(r);
        }

        for r in &records {
            let mut ours = Vec::new();
            encode(&mut ours, r).unwrap();
            let serde = serde_json::to_vec(r).unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(serde).unwrap()
            );
        }
    }
}
