//! URL sources — positional arguments, files, stdin — read as one lazy stream.
//!
//! Input is read on a thread of its own with plain blocking reads, so a slow
//! pipe never stalls the runtime and a hung stdin never keeps the process
//! alive at exit (the thread is simply abandoned). Lines are parsed into URLs
//! there too, off the fetching thread. They travel to the pipeline in batches
//! over a small bounded channel: memory stays flat however long the list is,
//! and the reader waits whenever the fetchers fall behind.
//!
//! A batch is sent when it is full or when the next read might block, so the
//! first URL of a trickling pipe starts at once instead of waiting for 255
//! more.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use reqwest::Url;
use tokio::sync::mpsc;

/// URLs sent to the pipeline per message.
const BATCH: usize = 256;
/// Batches buffered between the reader and the pipeline.
const CHANNEL_BATCHES: usize = 4;
/// Longest input line kept; longer lines are `invalid_url` records.
pub const MAX_LINE: usize = 64 * 1024;
/// Read buffer per source.
const READ_BUFFER: usize = 64 * 1024;

/// Where URLs come from, in the order they are read.
#[derive(Default)]
pub struct Input {
    sources: Vec<Source>,
}

enum Source {
    Lines(Vec<String>),
    Reader {
        name: String,
        reader: Box<dyn Read + Send>,
    },
}

impl Input {
    /// No sources yet.
    pub fn new() -> Self {
        Input::default()
    }

    /// Adds URLs given directly (command-line arguments), one per string.
    pub fn push_lines(&mut self, lines: Vec<String>) {
        if !lines.is_empty() {
            self.sources.push(Source::Lines(lines));
        }
    }

    /// Adds a reader, one URL per line; `name` is used in error messages.
    pub fn push_reader(&mut self, name: impl Into<String>, reader: impl Read + Send + 'static) {
        self.sources.push(Source::Reader {
            name: name.into(),
            reader: Box::new(reader),
        });
    }

    /// Opens `path` now (so a missing file fails before any request) and adds
    /// it.
    pub fn push_file(&mut self, path: &Path) -> io::Result<()> {
        let file = File::open(path)?;
        self.push_reader(path.display().to_string(), file);
        Ok(())
    }

    /// Adds standard input.
    pub fn push_stdin(&mut self) {
        self.push_reader("stdin", io::stdin());
    }

    /// Starts reading on a thread of its own; items arrive on the returned
    /// channel, which ends with one [`Msg::End`]. Dropping the receiver stops
    /// the thread at its next send.
    pub(crate) fn spawn(self) -> mpsc::Receiver<Msg> {
        let (tx, rx) = mpsc::channel(CHANNEL_BATCHES);
        let spawned = std::thread::Builder::new()
            .name("fanout-input".into())
            .spawn(move || read_all(self.sources, tx));
        if let Err(e) = spawned {
            // Without a thread there is no input; say so through the channel's
            // end instead of panicking.
            let (tx, rx) = mpsc::channel(1);
            let _ = tx.try_send(Msg::End(InputEnd {
                accepted: 0,
                error: Some(format!("cannot start the input reader: {e}")),
            }));
            return rx;
        }
        rx
    }
}

/// One accepted input line.
#[derive(Debug)]
pub struct Item {
    /// 0-based position among accepted lines across all sources.
    pub index: u64,
    /// The trimmed line (lossily decoded when not UTF-8).
    pub line: String,
    /// The parsed URL, or why the line is not one.
    pub url: Result<Url, String>,
}

/// What the reader thread sends.
pub(crate) enum Msg {
    Items(Vec<Item>),
    End(InputEnd),
}

/// How reading ended.
#[derive(Debug, Default, Clone)]
pub struct InputEnd {
    /// Accepted (non-blank, non-comment) lines.
    pub accepted: u64,
    /// A read error that cut the input short.
    pub error: Option<String>,
}

/// The receiver went away: the run is over, stop reading.
struct Closed;

struct Batcher {
    tx: mpsc::Sender<Msg>,
    batch: Vec<Item>,
    index: u64,
}

impl Batcher {
    fn line(&mut self, raw: &[u8], truncated: bool) -> Result<(), Closed> {
        let Some((line, url)) = parse_line(raw, truncated) else {
            return Ok(());
        };
        self.batch.push(Item {
            index: self.index,
            line,
            url,
        });
        self.index += 1;
        if self.batch.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Closed> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        self.tx.blocking_send(Msg::Items(batch)).map_err(|_| Closed)
    }
}

fn read_all(sources: Vec<Source>, tx: mpsc::Sender<Msg>) {
    let mut b = Batcher {
        tx,
        batch: Vec::with_capacity(BATCH),
        index: 0,
    };
    let mut error = None;
    let mut buf = Vec::new();
    'sources: for source in sources {
        match source {
            Source::Lines(lines) => {
                for l in lines {
                    if b.line(l.as_bytes(), false).is_err() {
                        return;
                    }
                }
            }
            Source::Reader { name, reader } => {
                let mut r = BufReader::with_capacity(READ_BUFFER, reader);
                loop {
                    match read_line(&mut r, &mut buf, MAX_LINE) {
                        Ok(None) => break,
                        Ok(Some(truncated)) => {
                            if b.line(&buf, truncated).is_err() {
                                return;
                            }
                            // Nothing buffered: the next read may block, so
                            // hand over what we have first.
                            if r.buffer().is_empty() && b.flush().is_err() {
                                return;
                            }
                        }
                        Err(e) => {
                            error = Some(format!("cannot read {name}: {e}"));
                            break 'sources;
                        }
                    }
                }
            }
        }
    }
    if b.flush().is_err() {
        return;
    }
    let end = InputEnd {
        accepted: b.index,
        error,
    };
    let _ = b.tx.blocking_send(Msg::End(end));
}

/// Reads one line into `buf` without its `\n`, keeping at most `cap` bytes
/// (the rest of an overlong line is skipped). `Ok(None)` at the end of input,
/// else `Ok(Some(truncated))`. A last line without `\n` is still a line.
fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>, cap: usize) -> io::Result<Option<bool>> {
    buf.clear();
    let mut truncated = false;
    let mut read_any = false;
    loop {
        let available = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(read_any.then_some(truncated));
        }
        read_any = true;
        let (chunk, used, done) = match memchr(b'\n', available) {
            Some(i) => (&available[..i], i + 1, true),
            None => (available, available.len(), false),
        };
        let room = cap.saturating_sub(buf.len());
        if chunk.len() > room {
            truncated = true;
        }
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        r.consume(used);
        if done {
            return Ok(Some(truncated));
        }
    }
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

/// Classifies one raw input line: `None` for blank and `#` comment lines,
/// else the trimmed line and its URL or the reason it is not one.
pub fn parse_line(raw: &[u8], truncated: bool) -> Option<(String, Result<Url, String>)> {
    let t = raw.trim_ascii();
    if t.is_empty() || t[0] == b'#' {
        return None;
    }
    if truncated {
        let line = String::from_utf8_lossy(t).into_owned();
        return Some((
            line,
            Err(format!("input line is longer than {MAX_LINE} bytes")),
        ));
    }
    match std::str::from_utf8(t) {
        Ok(s) => {
            let s = s.trim();
            if s.is_empty() || s.starts_with('#') {
                return None;
            }
            Some((s.to_owned(), parse_url(s)))
        }
        Err(_) => Some((
            String::from_utf8_lossy(t).into_owned(),
            Err("input line is not valid UTF-8".to_owned()),
        )),
    }
}

/// Parses an absolute `http` or `https` URL; anything else is an error
/// message for an `invalid_url` record.
pub fn parse_url(s: &str) -> Result<Url, String> {
    match Url::parse(s) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {
            if u.host().is_some() {
                Ok(u)
            } else {
                Err("URL has no host".to_owned())
            }
        }
        Ok(u) => Err(format!(
            "unsupported scheme `{}:`; only http and https URLs are fetched",
            u.scheme()
        )),
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            Err("not an absolute URL: it needs a scheme such as https://".to_owned())
        }
        Err(e) => Err(format!("invalid URL: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], cap: usize) -> Vec<(Vec<u8>, bool)> {
        let mut r = BufReader::with_capacity(4, input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(t) = read_line(&mut r, &mut buf, cap).unwrap() {
            out.push((buf.clone(), t));
        }
        out
    }

    #[test]
    fn splits_lines_across_small_buffers() {
        let got = lines(b"ab\r\ncdefgh\n\nlast", 100);
        let want: Vec<(Vec<u8>, bool)> = vec![
            (b"ab\r".to_vec(), false),
            (b"cdefgh".to_vec(), false),
            (b"".to_vec(), false),
            (b"last".to_vec(), false),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn overlong_lines_are_cut_and_flagged_without_losing_the_next() {
        let got = lines(b"0123456789\nok\n", 4);
        assert_eq!(got, vec![(b"0123".to_vec(), true), (b"ok".to_vec(), false)]);
    }

    #[test]
    fn blank_and_comment_lines_are_skipped() {
        for raw in [
            &b""[..],
            b"   ",
            b"\t\r",
            b"# note",
            b"   # indented",
            b"\xc2\xa0 # nbsp",
        ] {
            assert!(parse_line(raw, false).is_none(), "{raw:?}");
        }
    }

    #[test]
    fn lines_are_trimmed_and_parsed() {
        let (line, url) = parse_line(b"  http://127.0.0.1:8080/a \r", false).unwrap();
        assert_eq!(line, "http://127.0.0.1:8080/a");
        assert_eq!(url.unwrap().as_str(), "http://127.0.0.1:8080/a");
    }

    #[test]
    fn only_absolute_http_urls_are_accepted() {
        for bad in [
            "ftp://example.com/x",
            "file:///etc/passwd",
            "example.com/path",
            "/relative",
            "http://",
            "https://exa mple.com",
            "http://[::1",
            "mailto:someone@example.com",
        ] {
            let (line, url) = parse_line(bad.as_bytes(), false).unwrap();
            assert_eq!(line, bad);
            assert!(url.is_err(), "{bad} should be invalid");
        }
        for good in [
            "https://example.com",
            "http://127.0.0.1:1/x?q=1#f",
            "HTTP://EXAMPLE.COM",
        ] {
            assert!(parse_url(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn invalid_utf8_is_a_record_not_a_crash() {
        let (line, url) = parse_line(b"http://a/\xff\xfe", false).unwrap();
        assert_eq!(line, "http://a/\u{fffd}\u{fffd}");
        assert_eq!(url.unwrap_err(), "input line is not valid UTF-8");
    }

    #[test]
    fn reader_numbers_accepted_lines_across_sources() {
        let mut input = Input::new();
        input.push_lines(vec!["http://a/".into(), "# skip".into()]);
        input.push_reader("one", &b"\nftp://b/\nhttp://c/\n"[..]);
        input.push_reader("two", &b"http://d/"[..]);
        let mut rx = input.spawn();
        let mut seen = Vec::new();
        let end = loop {
            match rx.blocking_recv().expect("reader ends with End") {
                Msg::Items(items) => seen.extend(items.into_iter().map(|i| (i.index, i.line))),
                Msg::End(end) => break end,
            }
        };
        let want: Vec<(u64, String)> = ["http://a/", "ftp://b/", "http://c/", "http://d/"]
            .iter()
            .enumerate()
            .map(|(i, s)| (i as u64, s.to_string()))
            .collect();
        assert_eq!(seen, want);
        assert_eq!(end.accepted, 4);
        assert!(end.error.is_none());
    }
}
