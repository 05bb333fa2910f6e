//! The typed, validated configuration of a run, grouped by concern, and its
//! defaults.
//!
//! Nothing here knows about clap: `cli` turns what the user typed into a
//! [`Config`], validating everything (headers, certificates, the proxy), so
//! a run never fails on its settings half-way. The defaults live here and in
//! `retry` as `pub const`s so the help text (which shows them) and the
//! behaviour cannot drift apart. "Off" is always `None`.

use std::net::SocketAddr;
use std::num::{NonZeroU32, NonZeroU64, NonZeroUsize};
use std::time::Duration;

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName};

mod needs;
mod remember;
mod report;

pub use self::needs::{Fields, Needs};
pub use self::remember::{FailOn, Remember};
pub use self::report::{ReportFormat, ReportSpec};

use crate::output::Format;
use crate::retry::RetryPolicy;
use crate::values::{HostRules, Rate, StatusSet};

/// Default for `-c/--concurrency`.
pub const DEFAULT_CONCURRENCY: usize = 50;
/// Default for `-t/--timeout`: one attempt, from connect to last body byte.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default for `--connect-timeout`.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default for `--max-redirects`.
pub const DEFAULT_MAX_REDIRECTS: u32 = 10;
/// Default for `--accept`.
pub const DEFAULT_ACCEPT: &str = "200-299";
/// Default for `--trip-cooldown`.
pub const DEFAULT_TRIP_COOLDOWN: Duration = Duration::from_secs(30);
/// Default for `--max-body`: 10 MiB.
pub const DEFAULT_MAX_BODY: u64 = 10 * 1024 * 1024;
/// Default for `-A/--user-agent`.
pub const DEFAULT_USER_AGENT: &str = concat!("fanout/", env!("CARGO_PKG_VERSION"));

/// Everything a run needs to know, validated. Built by `Cli::into_config`, or
/// by hand when fanout is used as a library (start from `Config::default()`).
///
/// Each group is one heading of `--help` and one struct and file in `cli/`
/// (the table in `cli/mod.rs`); each field names its heading in quotes.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// How much runs at once, how fast, and for how long ("Limits").
    pub limits: Limits,
    /// When and how long to wait before another attempt ("Retries").
    pub retry: RetryPolicy,
    /// What makes a URL `ok` ("Success").
    pub success: Success,
    /// What records tell of what answered ("What answered").
    pub inspect: Inspect,
    /// Circuit breakers, the retry budget, request ids, metrics
    /// ("Protection").
    pub protection: Protection,
    /// What each request looks like ("Request").
    pub request: RequestSpec,
    /// Where and how records and the progress line are written ("Output").
    pub output: OutputSpec,
    /// Reports for CI and when to give up ("CI verdicts").
    pub verdicts: Verdicts,
    /// Save the body of every `ok` URL (`-o`, "Saving bodies").
    pub save: Option<crate::save::SaveSpec>,
    /// What records remember and what is compared with earlier runs
    /// ("Runs that remember").
    pub remember: Remember,
}

/// Concurrency, pacing and timeouts.
#[derive(Debug, Clone)]
pub struct Limits {
    /// At most this many URLs in flight.
    pub concurrency: NonZeroUsize,
    /// At most this many in flight per host (host and port); with
    /// adaptive limits, their ceiling.
    pub per_host: Option<NonZeroUsize>,
    /// When each host's limit adapts (AIMD) instead of staying fixed.
    pub adaptive: Adapt,
    /// At most this many request starts per second, retries included.
    pub rate: Option<Rate>,
    /// `--host-rate`: at most this many request starts per second to each
    /// host (host name, any port), retries and redirect hops included.
    pub host_rate: Option<Rate>,
    /// `--rate-for HOST R`: a host's own rate, instead of `host_rate`.
    pub rate_for: HostRules<Rate>,
    /// Limit for one attempt, from connect to the last body byte.
    pub timeout: Duration,
    /// Limit for establishing a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Limit for the whole run.
    pub deadline: Option<Duration>,
    /// Fetch on this many threads, each with its own runtime (the clients
    /// share one TLS configuration).
    pub threads: NonZeroUsize,
}

/// How hosts' concurrency limits answer throttling.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Adapt {
    /// `--no-adaptive`: limits stay fixed whatever a host answers (a
    /// `Retry-After` still pauses its host).
    Fixed,
    /// The default: a host adapts from its first 429 or 503 on.
    #[default]
    OnThrottle,
    /// `--adaptive`: every host adapts from the start.
    Always,
}

/// The environment variable that, when set, is the default of `--threads`
/// (the test suite runs the binary with several values through it).
pub const THREADS_ENV: &str = "FANOUT_THREADS";

/// `-c` slots a fetch thread needs to pay for itself: a default thread
/// count gives every thread at least this many (`bench/README.md`,
/// "Threads that pay").
pub const SLOTS_PER_THREAD: usize = 32;

/// The default of `--threads` for `concurrency` URLs at once: one thread
/// per whole [`SLOTS_PER_THREAD`] slots, at least one, and never more than
/// the CPUs available to the process.
pub fn default_threads(concurrency: NonZeroUsize) -> NonZeroUsize {
    let fit = NonZeroUsize::new(concurrency.get() / SLOTS_PER_THREAD).unwrap_or(NonZeroUsize::MIN);
    fit.min(available_threads())
}

/// The CPUs available to the process.
pub fn available_threads() -> NonZeroUsize {
    std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)
}

impl Default for Limits {
    fn default() -> Self {
        let concurrency = NonZeroUsize::new(DEFAULT_CONCURRENCY).expect("non-zero default");
        Limits {
            concurrency,
            per_host: None,
            adaptive: Adapt::OnThrottle,
            rate: None,
            host_rate: None,
            rate_for: HostRules::default(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            deadline: None,
            threads: default_threads(concurrency),
        }
    }
}

/// The success rule: `--accept` and the assertions.
#[derive(Debug, Clone)]
pub struct Success {
    /// Final statuses that count as success.
    pub accept: StatusSet,
    /// `--accept-for HOST LIST`: a final response from HOST is judged by
    /// its own list instead of `accept`.
    pub accept_for: HostRules<StatusSet>,
    /// The body (up to `max_body`) must match this.
    pub expect: Option<regex::bytes::Regex>,
    /// `elapsed_ms` must be within this.
    pub slow: Option<Duration>,
    /// `--expect-header`: each must hold for the final response.
    pub expect_headers: Vec<crate::check::ExpectHeader>,
    /// `--expect-jq`: each must yield only truthy values for the body.
    pub expect_jq: Vec<crate::check::JqFilter>,
    /// `--cert-valid`: an https final response's leaf certificate must be
    /// valid now and for at least this long.
    pub cert_valid: Option<Duration>,
}

impl Default for Success {
    fn default() -> Self {
        Success {
            accept: DEFAULT_ACCEPT.parse().expect("valid default"),
            accept_for: HostRules::default(),
            expect: None,
            slow: None,
            expect_headers: Vec::new(),
            expect_jq: Vec::new(),
            cert_valid: None,
        }
    }
}

/// Protecting what you call, and seeing what happens.
#[derive(Debug, Clone)]
pub struct Protection {
    /// Open a host's circuit after this many consecutive final failures.
    pub trip_after: Option<NonZeroU32>,
    /// How long an open circuit refuses requests.
    pub trip_cooldown: Duration,
    /// Retries may be at most this percentage (0–100) of first attempts.
    pub retry_budget: Option<f64>,
    /// Send a fresh UUID v7 per attempt in this header.
    pub request_id: Option<HeaderName>,
    /// Serve Prometheus metrics here while the run lasts.
    pub metrics: Option<SocketAddr>,
}

impl Default for Protection {
    fn default() -> Self {
        Protection {
            trip_after: None,
            trip_cooldown: DEFAULT_TRIP_COOLDOWN,
            retry_budget: None,
            request_id: None,
            metrics: None,
        }
    }
}

/// The shape of every request of a run, and how its response is read.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    /// HTTP method.
    pub method: Method,
    /// Extra headers, `User-Agent` included. The sensitive ones
    /// (`Authorization`, `Cookie`, `Proxy-Authorization`) are kept apart by
    /// the fetcher so they can be dropped on a cross-host redirect.
    pub headers: HeaderMap,
    /// Request body.
    pub body: Option<bytes::Bytes>,
    /// Redirects followed per attempt; 0 = don't follow.
    pub max_redirects: u32,
    /// Most decoded body bytes read from one response.
    pub max_body: u64,
    /// Accept any TLS certificate.
    pub insecure: bool,
    /// Extra trusted root certificates (`--cacert`), already parsed.
    pub cacerts: Vec<rustls::pki_types::CertificateDer<'static>>,
    /// Proxy for all requests; `None` = the usual environment variables.
    pub proxy: Option<reqwest::Proxy>,
    /// Speak HTTP/1.1 only.
    pub http1_only: bool,
    /// `method` was given (`-X`), so it beats a jsonl line's body's POST.
    pub method_given: bool,
    /// `-X HEAD,GET`: `method` is HEAD, and a HEAD refused with a status
    /// that is not accepted is asked once more with GET.
    pub head_then_get: bool,
    /// `--header-for`: headers sent only to their host.
    pub header_for: crate::routes::HostHeaders,
    /// `--resolve`: where requests to a host and port connect instead.
    pub resolve: Vec<crate::routes::ResolveRule>,
    /// `--cert`/`--key`: the client certificate for mutual TLS.
    pub identity: Option<reqwest::Identity>,
    /// `-4`/`-6`: use only addresses of this family.
    pub ip_family: Option<IpFamily>,
    /// `--input-format jsonl`: each line may give its own method, headers,
    /// body and `id`.
    pub per_line: bool,
}

/// `-4`/`-6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpFamily {
    /// IPv4 only.
    V4,
    /// IPv6 only.
    V6,
}

impl Default for RequestSpec {
    fn default() -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::USER_AGENT,
            reqwest::header::HeaderValue::from_static(DEFAULT_USER_AGENT),
        );
        RequestSpec {
            method: Method::GET,
            headers,
            body: None,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            max_body: DEFAULT_MAX_BODY,
            insecure: false,
            cacerts: Vec::new(),
            proxy: None,
            http1_only: false,
            method_given: false,
            head_then_get: false,
            header_for: Default::default(),
            resolve: Vec::new(),
            identity: None,
            ip_family: None,
            per_line: false,
        }
    }
}

/// Records on stdout and the live line on stderr.
#[derive(Debug, Clone, Default)]
pub struct OutputSpec {
    /// Record format on stdout.
    pub format: Format,
    /// Colour the text format.
    pub color: bool,
    /// Draw the progress line on stderr.
    pub progress: bool,
    /// Flush stdout after every record (a terminal), not only when idle.
    pub flush_each_record: bool,
    /// Write records in input order instead of completion order.
    pub ordered: bool,
    /// Add the response body to each record.
    pub keep_body: bool,
    /// One row per host in the summary and `--stats`.
    pub host_stats: bool,
}

/// What answered: what records tell of the final response beyond its
/// status (`inspect`).
#[derive(Debug, Clone, Default)]
pub struct Inspect {
    /// `--timings`: add the final hop's phases to each record.
    pub timings: bool,
    /// `--tls-info`: add the leaf certificate to each record.
    pub tls_info: bool,
    /// `--response-header`: add these response headers to each record.
    pub response_headers: Option<crate::inspect::HeaderPick>,
}

/// CI verdicts: reports written when the run ends, and stopping early.
#[derive(Debug, Clone, Default)]
pub struct Verdicts {
    /// `--report FORMAT=FILE`, in the order given.
    pub reports: Vec<ReportSpec>,
    /// Stop once this many records are final and not ok.
    pub max_failures: Option<NonZeroU64>,
}

impl Config {
    /// A configuration with every default, as if no flag was given.
    pub fn new() -> Self {
        Config::default()
    }

    /// What this configuration needs kept and written (`needs.rs`).
    pub fn needs(&self) -> Needs {
        Needs::of(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(v: usize) -> NonZeroUsize {
        NonZeroUsize::new(v).unwrap()
    }

    #[test]
    fn default_threads_fit_the_slots_and_the_cpus() {
        let cpus = available_threads();
        assert_eq!(default_threads(n(1)), n(1));
        assert_eq!(default_threads(n(2 * SLOTS_PER_THREAD - 1)), n(1));
        assert_eq!(default_threads(n(2 * SLOTS_PER_THREAD)), n(2).min(cpus));
        assert_eq!(default_threads(n(1_000_000)), cpus);
        assert_eq!(
            Limits::default().threads,
            default_threads(n(DEFAULT_CONCURRENCY))
        );
    }
}
