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
//! `--skip-done`, `--skip-ok`, `--dedup` — run here too, on a 64-bit hash
//! per line, so they cost the fetching thread nothing and memory only a
//! small entry per URL (`earlier.rs`).

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use reqwest::Url;
use tokio::sync::mpsc;

mod earlier;
mod filter;
mod jsonl;
mod jsonl_values;
mod line;

pub use self::earlier::{Earlier, Prior, Wants};
use self::filter::Filters;
pub use self::filter::{Shard, SkipOk, fnv1a64};
pub use self::jsonl::{JsonLine, LineRequest, id_key, parse_json_line};
pub use self::line::{MAX_URL_LEN, parse_line, parse_url, too_long, trim_line};
use self::line::{classify_line, read_line};

/// URLs sent to the pipeline per message, at most.
const BATCH: usize = 256;
/// Line bytes per message, at most (one overlong line may exceed it): long
/// lines make small batches, so memory stays bounded either way.
const BATCH_BYTES: usize = 1 << 20;
/// Batches buffered between the reader and the pipeline.
const CHANNEL_BATCHES: usize = 4;
/// Longest input line kept whole (1 MiB). A longer line is an `invalid_url`
/// record whose `url` holds its first `MAX_LINE` bytes.
pub const MAX_LINE: usize = 1 << 20;
/// Read buffer per source.
const READ_BUFFER: usize = 64 * 1024;
/// A source with a NUL byte this close to its start looks binary.
const SNIFF: usize = 4 * 1024;

/// Where URLs come from, in the order they are read.
#[derive(Default)]
pub struct Input {
    sources: Vec<Source>,
    filters: Filters,
    /// `--input-format jsonl`: each line is a JSON request object.
    jsonl: bool,
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
    ///
    /// A directory opens fine on Unix and fails only at the first read, after
    /// URLs from arguments were fetched; it is refused here too.
    pub fn push_file(&mut self, path: &Path) -> io::Result<()> {
        let file = File::open(path)?;
        if file.metadata()?.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a directory",
            ));
        }
        self.push_reader(path.display().to_string(), file);
        Ok(())
    }

    /// Adds standard input.
    pub fn push_stdin(&mut self) {
        self.push_reader("stdin", io::stdin());
    }

    /// Reads each line as a JSON request object (`--input-format jsonl`)
    /// instead of a bare URL.
    pub fn jsonl(&mut self) {
        self.jsonl = true;
    }

    /// Keeps only this shard's lines (`--shard K/N`).
    pub fn shard(&mut self, shard: Shard) {
        self.filters.shard = Some(shard);
    }

    /// Skips lines already seen in this run (`--dedup`).
    pub fn dedup(&mut self) {
        self.filters.seen = Some(HashSet::new());
    }

    /// Starts reading on a thread of its own; batches of items arrive on the
    /// returned channel, which closes when the input ends (how it ended is
    /// then in [`ReadCount::end`]). Dropping the receiver stops the thread at
    /// its next send. The counter is the number of items sent so far,
    /// including those still waiting in the channel.
    pub(crate) fn spawn(self) -> (mpsc::Receiver<Vec<Item>>, Arc<ReadCount>) {
        let (tx, rx) = mpsc::channel(CHANNEL_BATCHES);
        let sent = Arc::new(ReadCount::default());
        let counter = sent.clone();
        let spawned = std::thread::Builder::new()
            .name("fanout-input".into())
            .spawn(move || read_all(self.sources, self.filters, self.jsonl, tx, counter));
        if let Err(e) = spawned {
            // Without a thread there is no input; say so through the channel's
            // end instead of panicking.
            let (_, rx) = mpsc::channel(1);
            sent.set_end(InputEnd {
                error: Some(format!("cannot start the input reader: {e}")),
                ..InputEnd::default()
            });
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
    /// How reading ended, once it has.
    end: Mutex<Option<InputEnd>>,
}

impl ReadCount {
    fn set_end(&self, end: InputEnd) {
        *self.end.lock().unwrap_or_else(|e| e.into_inner()) = Some(end);
    }

    /// How reading ended; `None` while the reader is still going (or was
    /// stopped before the end).
    pub fn end(&self) -> Option<InputEnd> {
        self.end.lock().unwrap_or_else(|e| e.into_inner()).clone()
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
    /// Hash of the key earlier records are found by (`input/earlier.rs`).
    pub key: u64,
    /// With `--input-format jsonl`: the line's method, headers, body and
    /// `id`. Boxed, so plain lines pay one pointer for it.
    pub request: Option<Box<LineRequest>>,
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
    tx: mpsc::Sender<Vec<Item>>,
    batch: Vec<Item>,
    /// Line bytes in `batch`.
    bytes: usize,
    index: u64,
    filters: Filters,
    jsonl: bool,
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
        let item = match self.jsonl {
            true => {
                let (key, item) = jsonl::item(index, trimmed, truncated);
                if !self.filters.keep(key, key) {
                    return Ok(());
                }
                item
            }
            false => match self.plain(index, trimmed, truncated) {
                Some(item) => item,
                None => return Ok(()),
            },
        };
        self.bytes += item.line.len();
        self.batch.push(item);
        if self.batch.len() >= BATCH || self.bytes >= BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// The item of a plain line, unless a filter drops it.
    fn plain(&mut self, index: u64, trimmed: &[u8], truncated: bool) -> Option<Item> {
        let raw = fnv1a64(trimmed);
        // Records show a line that is not UTF-8 lossily decoded.
        let text = match std::str::from_utf8(trimmed) {
            Ok(_) => raw,
            Err(_) => fnv1a64(String::from_utf8_lossy(trimmed).as_bytes()),
        };
        if !self.filters.keep(raw, text) {
            return None;
        }
        let (line, url) = classify_line(trimmed, truncated);
        Some(Item {
            index,
            line,
            url,
            key: text,
            request: None,
        })
    }

    fn flush(&mut self) -> Result<(), Closed> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        self.bytes = 0;
        self.sent
            .sent
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        self.kept += batch.len() as u64;
        self.tx.blocking_send(batch).map_err(|_| Closed)
    }
}

fn read_all(
    sources: Vec<Source>,
    filters: Filters,
    jsonl: bool,
    tx: mpsc::Sender<Vec<Item>>,
    sent: Arc<ReadCount>,
) {
    let mut b = Batcher {
        tx,
        batch: Vec::with_capacity(BATCH),
        bytes: 0,
        index: 0,
        filters,
        jsonl,
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
                let mut sniff = Sniff::default();
                loop {
                    match read_line(&mut r, &mut buf, MAX_LINE) {
                        Ok(None) => break,
                        Ok(Some(truncated)) => {
                            if sniff.looks_binary(&buf, truncated) {
                                warn_binary(&name);
                            }
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
    // Said before the channel closes, so the pipeline finds it there.
    b.sent.set_end(end);
}

/// Looks for NUL bytes in a source's first [`SNIFF`] bytes, line by line
/// as they are read, so nothing is read ahead or twice.
#[derive(Default)]
struct Sniff {
    /// Bytes of the source looked at so far.
    seen: usize,
    /// Said already: one warning per source.
    warned: bool,
}

impl Sniff {
    /// Whether this line (without its `\n`) makes the source look binary
    /// for the first time.
    fn looks_binary(&mut self, line: &[u8], truncated: bool) -> bool {
        if self.warned || self.seen >= SNIFF {
            return false;
        }
        let head = &line[..line.len().min(SNIFF - self.seen)];
        // A truncated line kept its first MAX_LINE bytes: past SNIFF anyway.
        self.seen = match truncated {
            true => SNIFF,
            false => self.seen + line.len() + 1,
        };
        self.warned = head.contains(&0);
        self.warned
    }
}

/// Text lists hold no NUL bytes; a file that does was likely given by
/// mistake. Its lines still become records, one each, as the contract
/// says: the warning only explains them.
fn warn_binary(name: &str) {
    use std::io::Write;
    let _ = writeln!(
        io::stderr().lock(),
        "fanout: warning: {name} looks binary (NUL bytes in its first {} KiB); \
         reading it line by line anyway",
        SNIFF >> 10
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_bytes_in_the_first_4_kib_look_binary_once() {
        let mut s = Sniff::default();
        assert!(!s.looks_binary(b"http://a/", false));
        assert!(s.looks_binary(b"\0\x01", false));
        assert!(!s.looks_binary(b"\0", false), "said once");

        let mut s = Sniff::default();
        assert!(!s.looks_binary(&[b'a'; SNIFF - 1], false));
        assert!(!s.looks_binary(b"\0", false), "past the first 4 KiB");

        let mut s = Sniff::default();
        let mut line = vec![b'a'; SNIFF - 1];
        line.push(0);
        assert!(s.looks_binary(&line, true), "the 4096th byte counts");
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
        let (mut rx, read) = input.spawn();
        let mut seen = Vec::new();
        while let Some(items) = rx.blocking_recv() {
            seen.extend(items.into_iter().map(|i| (i.index, i.line)));
        }
        (seen, read.end().expect("the reader says how it ended"))
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
        let done = format!("{{\"url\":{}}}", serde_json::to_string(&shown).unwrap());
        input.skip_done(Arc::new(
            Earlier::load(done.as_bytes(), Wants::default()).unwrap(),
        ));
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
        let done = Earlier::load(&br#"{"url":"http://b/"}"#[..], Wants::default()).unwrap();
        input.skip_done(Arc::new(done));
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
