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
//!
//! The filters that drop lines before they become work — `--shard`,
//! `--skip-done`, `--dedup` — run here too, on a 64-bit hash per line, so
//! they cost the fetching thread nothing and memory only a hash per URL.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use reqwest::Url;
use tokio::sync::mpsc;

mod filter;

use self::filter::Filters;
pub use self::filter::{Done, Shard, fnv1a64, load_done};

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
    filters: Filters,
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

    /// Keeps only this shard's lines (`--shard K/N`).
    pub fn shard(&mut self, shard: Shard) {
        self.filters.shard = Some(shard);
    }

    /// Skips lines whose hash is in `done` (`--skip-done`).
    pub fn skip_done(&mut self, done: HashSet<u64>) {
        self.filters.done = Some(done);
    }

    /// Skips lines already seen in this run (`--dedup`).
    pub fn dedup(&mut self) {
        self.filters.seen = Some(HashSet::new());
    }

    /// Starts reading on a thread of its own; items arrive on the returned
    /// channel, which ends with one [`Msg::End`]. Dropping the receiver stops
    /// the thread at its next send. The counter is the number of items sent
    /// so far, including those still waiting in the channel.
    pub(crate) fn spawn(self) -> (mpsc::Receiver<Msg>, Arc<ReadCount>) {
        let (tx, rx) = mpsc::channel(CHANNEL_BATCHES);
        let sent = Arc::new(ReadCount::default());
        let counter = sent.clone();
        let spawned = std::thread::Builder::new()
            .name("fanout-input".into())
            .spawn(move || read_all(self.sources, self.filters, tx, counter));
        if let Err(e) = spawned {
            // Without a thread there is no input; say so through the channel's
            // end instead of panicking.
            let (tx, rx) = mpsc::channel(1);
            let _ = tx.try_send(Msg::End(InputEnd {
                error: Some(format!("cannot start the input reader: {e}")),
                ..InputEnd::default()
            }));
            return (rx, sent);
        }
        (rx, sent)
    }
}

/// How far the reader thread has got, readable while it runs.
#[derive(Debug, Default)]
pub struct ReadCount {
    /// Items sent to the pipeline so far (some may still wait in the
    /// channel).
    pub sent: AtomicU64,
    /// Set once the input has been read to its end: `sent` is the total.
    pub finished: AtomicBool,
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
    /// Lines that passed the filters and were sent as work.
    pub kept: u64,
    /// A read error that cut the input short.
    pub error: Option<String>,
}

/// The receiver went away: the run is over, stop reading.
struct Closed;

struct Batcher {
    tx: mpsc::Sender<Msg>,
    batch: Vec<Item>,
    index: u64,
    filters: Filters,
    /// Items sent, shared with the pipeline (progress, "not started").
    sent: Arc<ReadCount>,
    kept: u64,
}

impl Batcher {
    fn line(&mut self, raw: &[u8], truncated: bool) -> Result<(), Closed> {
        let Some(trimmed) = trim_line(raw) else {
            return Ok(());
        };
        let index = self.index;
        self.index += 1;
        let raw = fnv1a64(trimmed);
        // Records show a line that is not UTF-8 lossily decoded.
        let text = match std::str::from_utf8(trimmed) {
            Ok(_) => raw,
            Err(_) => fnv1a64(String::from_utf8_lossy(trimmed).as_bytes()),
        };
        if !self.filters.keep(raw, text) {
            return Ok(());
        }
        let (line, url) = classify_line(trimmed, truncated);
        self.batch.push(Item { index, line, url });
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
        self.sent
            .sent
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        self.kept += batch.len() as u64;
        self.tx.blocking_send(Msg::Items(batch)).map_err(|_| Closed)
    }
}

fn read_all(sources: Vec<Source>, filters: Filters, tx: mpsc::Sender<Msg>, sent: Arc<ReadCount>) {
    let mut b = Batcher {
        tx,
        batch: Vec::with_capacity(BATCH),
        index: 0,
        filters,
        sent,
        kept: 0,
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
    b.sent.finished.store(true, Ordering::Release);
    let end = InputEnd {
        accepted: b.index,
        kept: b.kept,
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
    trim_line(raw).map(|t| classify_line(t, truncated))
}

/// The line without surrounding whitespace (Unicode whitespace too when the
/// line is UTF-8); `None` for blank and `#` comment lines.
pub fn trim_line(raw: &[u8]) -> Option<&[u8]> {
    // A byte-order mark, as some editors write at the start of a file, is
    // not part of the URL.
    let raw = raw.strip_prefix("\u{feff}".as_bytes()).unwrap_or(raw);
    let mut t = raw.trim_ascii();
    if let Ok(s) = std::str::from_utf8(t) {
        t = s.trim().as_bytes();
    }
    match t.first() {
        None | Some(b'#') => None,
        Some(_) => Some(t),
    }
}

/// The record's `url` text for a trimmed line, and its URL or why it is
/// not one.
fn classify_line(t: &[u8], truncated: bool) -> (String, Result<Url, String>) {
    if truncated {
        let line = String::from_utf8_lossy(t).into_owned();
        return (
            line,
            Err(format!("input line is longer than {MAX_LINE} bytes")),
        );
    }
    match std::str::from_utf8(t) {
        Ok(s) => (s.to_owned(), parse_url(s)),
        Err(_) => (
            String::from_utf8_lossy(t).into_owned(),
            Err("input line is not valid UTF-8".to_owned()),
        ),
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
    fn a_byte_order_mark_is_not_part_of_the_url() {
        let (line, url) = parse_line("\u{feff}http://a/x\r".as_bytes(), false).unwrap();
        assert_eq!(line, "http://a/x");
        assert!(url.is_ok());
        assert!(parse_line("\u{feff}# comment".as_bytes(), false).is_none());
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
    fn fnv1a64_matches_the_reference_values() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn shards_parse_and_reject_nonsense() {
        assert_eq!("2/3".parse::<Shard>(), Ok(Shard { k: 2, n: 3 }));
        assert_eq!("1/1".parse::<Shard>(), Ok(Shard { k: 1, n: 1 }));
        for bad in ["0/3", "4/3", "x/y", "1", "1/0", "/3", "1/3/5", "-1/3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    fn read(input: Input) -> (Vec<(u64, String)>, InputEnd) {
        let (mut rx, _) = input.spawn();
        let mut seen = Vec::new();
        let end = loop {
            match rx.blocking_recv().expect("reader ends with End") {
                Msg::Items(items) => seen.extend(items.into_iter().map(|i| (i.index, i.line))),
                Msg::End(end) => break end,
            }
        };
        (seen, end)
    }

    #[test]
    fn done_file_keeps_final_records_and_tolerates_a_torn_line() {
        let file = concat!(
            r#"{"index":0,"url":"http://a/","ok":true,"error":null}"#,
            "\n",
            r#"{"index":1,"url":"http://b/","ok":false,"error":{"kind":"cancelled","message":"x"}}"#,
            "\n",
            r#"{"index":2,"url":"http://c/","ok":false,"error":{"kind":"status","message":"x"}}"#,
            "\n",
            r#"{"index":3,"url":"http://d/","ok":false,"error":{"kind":"circuit_open","message":"x"}}"#,
            "\n",
            "\n",
            r#"{"index":4,"url":"http://e/","ok":tr"#,
        );
        let done = load_done(file.as_bytes()).unwrap();
        let want: HashSet<u64> = [fnv1a64(b"http://a/"), fnv1a64(b"http://c/")].into();
        assert_eq!(done.hashes, want);
        assert_eq!(done.unreadable, [6]);
        assert_eq!(done.lines, 6);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Any N shards of any list: every accepted line in exactly one.
        #[test]
        fn shards_partition_any_list(
            lines in proptest::collection::vec("[ -~]{0,40}", 0..60),
            n in 1u64..8,
        ) {
            let mut owners = vec![Vec::new(); lines.len()];
            for k in 1..=n {
                let shard = Shard { k, n };
                for (i, line) in lines.iter().enumerate() {
                    if let Some(t) = trim_line(line.as_bytes()) {
                        if shard.contains(fnv1a64(t)) {
                            owners[i].push(k);
                        }
                    }
                }
            }
            for (line, owner) in lines.iter().zip(&owners) {
                let expected = usize::from(trim_line(line.as_bytes()).is_some());
                proptest::prop_assert_eq!(owner.len(), expected, "{:?} in shards {:?}", line, owner);
            }
        }
    }

    #[test]
    fn skip_done_matches_lines_that_are_not_utf8_by_their_record_text() {
        let raw = b"http://a/\xff".to_vec();
        let shown = String::from_utf8_lossy(&raw).into_owned();
        let mut input = Input::new();
        input.push_reader(
            "one",
            std::io::Cursor::new([raw.clone(), b"\nhttp://b/\n".to_vec()].concat()),
        );
        input.skip_done([fnv1a64(shown.as_bytes())].into_iter().collect());
        let (seen, _) = read(input);
        assert_eq!(seen, [(1, "http://b/".to_string())]);
    }

    #[test]
    fn filters_skip_lines_but_keep_their_index() {
        let lines: Vec<String> = ["http://a/", "http://b/", "http://a/", "http://c/"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut input = Input::new();
        input.push_lines(lines.clone());
        input.dedup();
        input.skip_done([fnv1a64(b"http://b/")].into_iter().collect());
        let (seen, end) = read(input);
        assert_eq!(
            seen,
            [(0, "http://a/".to_string()), (3, "http://c/".to_string())]
        );
        assert_eq!(end.accepted, 4);
    }

    #[test]
    fn shards_partition_the_input() {
        let lines: Vec<String> = (0..300).map(|i| format!("http://h/{i}")).collect();
        let mut all = Vec::new();
        for k in 1..=3 {
            let mut input = Input::new();
            input.push_lines(lines.clone());
            input.shard(Shard { k, n: 3 });
            let (seen, _) = read(input);
            assert!(
                !seen.is_empty() && seen.len() < 300,
                "shard {k} has {}",
                seen.len()
            );
            all.extend(seen);
        }
        all.sort();
        let want: Vec<(u64, String)> = lines
            .into_iter()
            .enumerate()
            .map(|(i, l)| (i as u64, l))
            .collect();
        assert_eq!(all, want);
    }

    #[test]
    fn reader_numbers_accepted_lines_across_sources() {
        let mut input = Input::new();
        input.push_lines(vec!["http://a/".into(), "# skip".into()]);
        input.push_reader("one", &b"\nftp://b/\nhttp://c/\n"[..]);
        input.push_reader("two", &b"http://d/"[..]);
        let (seen, end) = read(input);
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
