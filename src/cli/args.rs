//! The command line's flags, one struct per help group, flattened into
//! [`super::Cli`]. Only what the user typed: validation is `resolve.rs`'s.

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::Args;

use crate::config::*;
use crate::input::Shard;
use crate::retry::{DEFAULT_BACKOFF, DEFAULT_BACKOFF_MAX, DEFAULT_RETRIES, DEFAULT_RETRY_ON};
use crate::values::{Dur, Rate, StatusSet};

// Value parsers for the plain numbers: the standard ones' errors
// ("number would be zero for non-zero type", "invalid digit found in
// string") are not in the tool's words and show no valid value; clap puts
// "invalid value 'X' for '--flag <N>': " before ours.

fn whole<T: std::str::FromStr>(s: &str, example: &str) -> Result<T, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("must be a whole number, e.g. {example}"))
}

fn concurrency(s: &str) -> Result<NonZeroUsize, String> {
    whole::<usize>(s, "-c 64")?
        .try_into()
        .map_err(|_| "must be at least 1, e.g. -c 64".to_owned())
}

fn threads(s: &str) -> Result<NonZeroUsize, String> {
    whole::<usize>(s, "--threads 4")?
        .try_into()
        .map_err(|_| "must be at least 1, e.g. --threads 4".to_owned())
}

fn per_host(s: &str) -> Result<usize, String> {
    whole(s, "--per-host 4 (0 = no limit)")
}

fn retries(s: &str) -> Result<u32, String> {
    whole(s, "-r 3 (0 = no retries)")
}

fn trip_after(s: &str) -> Result<u32, String> {
    whole(s, "--trip-after 5 (0 = off)")
}

fn max_redirects(s: &str) -> Result<u32, String> {
    whole(s, "--max-redirects 10 (0 = don't follow)")
}

fn percent(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err("must be a percentage from 0 to 100, e.g. --retry-budget 20".to_owned()),
    }
}

fn listen_addr(s: &str) -> Result<SocketAddr, String> {
    s.trim()
        .parse()
        .map_err(|_| "must be an IP address and port, e.g. 127.0.0.1:9898".to_owned())
}

/// URL sources and filters.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Read URLs from FILE, one per line ("-" is stdin); repeatable
    ///
    /// Without URL arguments or -i, URLs are read from stdin when it is not a
    /// terminal.
    #[arg(
        short = 'i',
        long = "input",
        value_name = "FILE",
        help_heading = "Input"
    )]
    pub inputs: Vec<PathBuf>,

    /// Keep only part K of N of the input (1 <= K <= N)
    ///
    /// A line belongs to shard K when the FNV-1a 64-bit hash of the trimmed
    /// line, mod N, is K-1: N machines running 1/N ... N/N over the same list
    /// cover it exactly once. `index` stays the position in the whole input.
    #[arg(long, value_name = "K/N", help_heading = "Input")]
    pub shard: Option<Shard>,

    /// Skip URLs that already have a final record in FILE (earlier output)
    ///
    /// Records with error kind `cancelled`, `circuit_open` or `save` are not
    /// final: those URLs run again. With `>> FILE` this resumes an interrupted run.
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    pub skip_done: Option<PathBuf>,

    /// Skip a URL already seen in this run (same trimmed line)
    #[arg(long, help_heading = "Input")]
    pub dedup: bool,
}

/// Concurrency, pacing and timeouts.
#[derive(Debug, Args)]
pub struct LimitArgs {
    /// At most N requests in flight
    #[arg(
        short = 'c',
        long,
        value_parser = concurrency,
        value_name = "N",
        default_value_t = NonZeroUsize::new(DEFAULT_CONCURRENCY).expect("non-zero"),
        help_heading = "Concurrency"
    )]
    pub concurrency: NonZeroUsize,

    /// At most N requests in flight per host (host:port); 0 = no limit
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0,
        value_parser = per_host,
        help_heading = "Concurrency"
    )]
    pub per_host: usize,

    /// Let every host's limit adapt (AIMD) from the start: grow on good answers, halve on
    /// 429/503, timeouts, connect errors
    ///
    /// Starts at 2 per host and never exceeds --per-host (when set) or -c. Without this flag a
    /// host adapts the same way from its first 429 or 503 on, starting from half the requests
    /// it had in flight then; hosts that never throttle keep full speed. A Retry-After on a
    /// 429 or 503 pauses the host for that long, at most --backoff-max.
    #[arg(long, help_heading = "Concurrency")]
    pub adaptive: bool,

    /// Keep limits fixed whatever hosts answer: no host adapts, not even after a 429 or 503
    ///
    /// A Retry-After still delays its URL and pauses its host: that is the server's explicit
    /// word.
    #[arg(long, conflicts_with = "adaptive", help_heading = "Concurrency")]
    pub no_adaptive: bool,

    /// At most R request starts per second, retries included [default: no limit]
    ///
    /// R is like 10, 10/s, 600/m or 3600/h. Starts are spaced evenly.
    #[arg(long, value_name = "R", help_heading = "Concurrency")]
    pub rate: Option<Rate>,

    /// Limit for one attempt, from connect to the last body byte
    ///
    /// DUR is like 250ms, 5s, 2m, 1h30m; a bare number is seconds.
    #[arg(short = 't', long, value_name = "DUR", default_value_t = Dur(DEFAULT_TIMEOUT), help_heading = "Concurrency")]
    pub timeout: Dur,

    /// Limit for opening a connection (TCP and TLS)
    #[arg(long, value_name = "DUR", default_value_t = Dur(DEFAULT_CONNECT_TIMEOUT), help_heading = "Concurrency")]
    pub connect_timeout: Dur,

    /// Limit for the whole run [default: none]
    ///
    /// When it passes, nothing new starts, requests in flight end as
    /// `cancelled`, and the exit status is 1.
    #[arg(long, value_name = "DUR", help_heading = "Concurrency")]
    pub deadline: Option<Dur>,

    /// Fetch on N threads [default: the CPUs available]
    ///
    /// Each thread has its own runtime and connection pool; -c, --per-host, --rate and the
    /// breakers hold across all of them together. The environment variable FANOUT_THREADS,
    /// when set, is the default.
    #[arg(long, value_name = "N", value_parser = threads, help_heading = "Concurrency")]
    pub threads: Option<NonZeroUsize>,
}

/// Retries.
#[derive(Debug, Args)]
pub struct RetryArgs {
    /// Extra attempts after the first
    #[arg(short = 'r', long, value_name = "N", default_value_t = DEFAULT_RETRIES, value_parser = retries, help_heading = "Retries")]
    pub retries: u32,

    /// Statuses that are retried (codes and ranges)
    #[arg(long, value_name = "LIST", default_value = DEFAULT_RETRY_ON, help_heading = "Retries")]
    pub retry_on: StatusSet,

    /// Cap of the first retry's random wait; doubles per retry
    #[arg(long, value_name = "DUR", default_value_t = Dur(DEFAULT_BACKOFF), help_heading = "Retries")]
    pub backoff: Dur,

    /// Cap of any wait; a longer Retry-After is not waited for
    #[arg(long, value_name = "DUR", default_value_t = Dur(DEFAULT_BACKOFF_MAX), help_heading = "Retries")]
    pub backoff_max: Dur,

    /// Also retry non-idempotent methods (POST, PATCH) after they may have
    /// reached the server
    #[arg(long, help_heading = "Retries")]
    pub retry_all_methods: bool,
}

/// Protecting what you call.
#[derive(Debug, Args)]
pub struct ProtectionArgs {
    /// Open a host's circuit after N consecutive final failures; 0 = off
    ///
    /// Its URLs then get `circuit_open` records without a request for
    /// --trip-cooldown; then one URL probes the host: success closes the
    /// circuit, failure opens it again.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0,
        value_parser = trip_after,
        help_heading = "Protection"
    )]
    pub trip_after: u32,

    /// How long an open circuit refuses requests
    #[arg(long, value_name = "DUR", default_value_t = Dur(DEFAULT_TRIP_COOLDOWN), help_heading = "Protection")]
    pub trip_cooldown: Dur,

    /// Retries may be at most PCT% of first attempts (at least 10) [default: off]
    #[arg(long, value_name = "PCT", value_parser = percent, help_heading = "Protection")]
    pub retry_budget: Option<f64>,

    /// Send a fresh UUID v7 in header NAME on every attempt; records get `request_id`
    #[arg(long, value_name = "NAME", help_heading = "Protection")]
    pub request_id: Option<String>,

    /// Serve Prometheus metrics on http://ADDR/metrics while running
    #[arg(long, value_name = "ADDR", value_parser = listen_addr, help_heading = "Protection")]
    pub metrics: Option<SocketAddr>,
}

/// What each request looks like.
#[derive(Debug, Args)]
pub struct RequestArgs {
    /// HTTP method [default: GET, or POST with -d or --data-binary]
    #[arg(
        short = 'X',
        long = "method",
        value_name = "METHOD",
        help_heading = "Request"
    )]
    pub method: Option<String>,

    /// Add a header, 'Name: value'; repeatable
    #[arg(
        short = 'H',
        long = "header",
        value_name = "HEADER",
        help_heading = "Request"
    )]
    pub headers: Vec<String>,

    /// Request body; @FILE reads it from FILE, without CR and LF
    ///
    /// As curl's -d: the file's carriage returns and newlines are removed.
    /// --data-binary keeps them.
    #[arg(
        short = 'd',
        long = "data",
        value_name = "DATA",
        help_heading = "Request"
    )]
    pub data: Option<String>,

    /// Request body sent byte for byte; @FILE reads FILE as it is
    ///
    /// Unlike -d @FILE, which drops the file's carriage returns and newlines
    /// as curl does.
    #[arg(
        long = "data-binary",
        value_name = "DATA",
        conflicts_with = "data",
        help_heading = "Request"
    )]
    pub data_binary: Option<String>,

    /// User-Agent header
    #[arg(short = 'A', long, value_name = "UA", default_value = DEFAULT_USER_AGENT, help_heading = "Request")]
    pub user_agent: String,

    /// Redirects followed per attempt; 0 = don't follow
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_REDIRECTS, value_parser = max_redirects, help_heading = "Request")]
    pub max_redirects: u32,

    /// Don't verify TLS certificates
    #[arg(short = 'k', long, help_heading = "Request")]
    pub insecure: bool,

    /// Also trust the CA certificates in FILE (PEM)
    #[arg(long, value_name = "FILE", help_heading = "Request")]
    pub cacert: Option<PathBuf>,

    /// Send every request through this proxy [default: HTTP(S)_PROXY, NO_PROXY]
    #[arg(long, value_name = "URL", help_heading = "Request")]
    pub proxy: Option<String>,

    /// Speak HTTP/1.1 only (no HTTP/2)
    #[arg(long = "http1.1", help_heading = "Request")]
    pub http1_1: bool,
}
