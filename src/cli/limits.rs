//! The "Limits" group: concurrency, pacing and timeouts, resolved into
//! [`Config::limits`](crate::Config::limits). `-c` is fitted here to the
//! process's open-file limit too ([`fit_open_files`]), so the `Config`
//! a caller gets is the one that runs.

use std::num::NonZeroUsize;

use anyhow::bail;
use clap::Args;

use super::parse;
use crate::config::{Adapt, DEFAULT_CONCURRENCY, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, Limits};
use crate::values::{Dur, Rate};

/// `--help` heading "Limits": concurrency, pacing and timeouts.
#[derive(Debug, Args)]
pub struct LimitsArgs {
    /// At most N requests in flight
    #[arg(
        short = 'c',
        long,
        value_parser = parse::concurrency,
        allow_negative_numbers = true,
        value_name = "N",
        default_value_t = NonZeroUsize::new(DEFAULT_CONCURRENCY).expect("non-zero"),
    )]
    pub concurrency: NonZeroUsize,

    /// At most N requests in flight per host (host:port); 0 = no limit
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = parse::per_host, allow_negative_numbers = true)]
    pub per_host: usize,

    /// Let every host's limit adapt (AIMD) from the start: grow on good answers, halve on
    /// 429/503, timeouts, connect errors
    ///
    /// Starts at 2 per host and never exceeds --per-host (when set) or -c. Without this flag a
    /// host adapts the same way from its first 429 or 503 on, starting from half the requests
    /// it had in flight then; hosts that never throttle keep full speed. A Retry-After on a
    /// 429 or 503 pauses the host for that long, at most --backoff-max.
    #[arg(long)]
    pub adaptive: bool,

    /// Keep limits fixed whatever hosts answer: no host adapts, not even after a 429 or 503
    ///
    /// A Retry-After still delays its URL and pauses its host: that is the server's explicit
    /// word.
    #[arg(long, conflicts_with = "adaptive")]
    pub no_adaptive: bool,

    /// At most R request starts per second, retries included [default: no limit]
    ///
    /// R is like 10, 10/s, 600/m or 3600/h. Starts are spaced evenly.
    #[arg(long, value_name = "R", value_parser = parse::rate, allow_hyphen_values = true)]
    pub rate: Option<Rate>,

    /// At most R request starts per second to each host, retries and redirect hops included
    /// [default: no limit]
    ///
    /// A host is the URL's host name, any port. R as for --rate. On top of --rate, -c and
    /// --per-host, across all --threads; URLs waiting for their host's turn hold no -c slot,
    /// so other hosts keep flowing. The wait is not part of elapsed_ms.
    #[arg(long, value_name = "R", value_parser = parse::rate, allow_hyphen_values = true)]
    pub host_rate: Option<Rate>,

    /// HOST's own rate, instead of --host-rate for it (also without --host-rate); repeatable
    ///
    /// HOST is a host name, any port: --rate-for api.example.com 2/s.
    #[arg(long, num_args = 2, value_names = ["HOST", "R"], action = clap::ArgAction::Append, allow_hyphen_values = true)]
    pub rate_for: Vec<String>,

    /// Limit for one attempt, from connect to the last body byte
    ///
    /// DUR is like 250ms, 5s, 2m, 1h30m; a bare number is seconds.
    #[arg(short = 't', long, value_name = "DUR", default_value_t = Dur(DEFAULT_TIMEOUT), value_parser = parse::duration, allow_hyphen_values = true)]
    pub timeout: Dur,

    /// Limit for opening a connection (TCP and TLS)
    #[arg(long, value_name = "DUR", default_value_t = Dur(DEFAULT_CONNECT_TIMEOUT), value_parser = parse::duration, allow_hyphen_values = true)]
    pub connect_timeout: Dur,

    /// Limit for the whole run [default: none]
    ///
    /// When it passes, nothing new starts, requests in flight end as
    /// `cancelled`, and the exit status is 1.
    #[arg(long, value_name = "DUR", value_parser = parse::duration, allow_hyphen_values = true)]
    pub deadline: Option<Dur>,

    /// Fetch on N threads [default: one per 32 of -c, at most the CPUs available]
    ///
    /// Each thread has its own runtime and connection pool; -c, --per-host, --rate and the
    /// breakers hold across all of them together. The environment variable FANOUT_THREADS,
    /// when set, is the default.
    #[arg(long, value_name = "N", value_parser = parse::threads, allow_negative_numbers = true)]
    pub threads: Option<NonZeroUsize>,
}

impl LimitsArgs {
    /// The limits, validated; `-c` as asked (see [`fit_open_files`]).
    pub(super) fn resolve(self) -> anyhow::Result<Limits> {
        if self.timeout.0.is_zero() {
            bail!("--timeout must be longer than 0");
        }
        if self.connect_timeout.0.is_zero() {
            bail!("--connect-timeout must be longer than 0");
        }
        // A zero deadline would cancel every URL before it starts.
        if self.deadline.is_some_and(|d| d.0.is_zero()) {
            bail!("--deadline must be longer than 0; use e.g. --deadline 5m");
        }
        Ok(Limits {
            concurrency: self.concurrency,
            per_host: NonZeroUsize::new(self.per_host),
            adaptive: match (self.adaptive, self.no_adaptive) {
                (true, _) => Adapt::Always,
                (_, true) => Adapt::Fixed,
                _ => Adapt::OnThrottle,
            },
            rate: self.rate,
            host_rate: self.host_rate,
            rate_for: super::routing::host_rules(&self.rate_for, "--rate-for", parse::rate)?,
            timeout: self.timeout.0,
            connect_timeout: self.connect_timeout.0,
            deadline: self.deadline.map(|d| d.0),
            threads: match self.threads {
                Some(n) => n,
                None => threads_from_env(self.concurrency)?,
            },
        })
    }
}

/// `limits` with `-c` fitted to this process's open-file limit, raised
/// first (`fdlimit`); when it had to run narrower, says so once on stderr.
/// Called last, after the input files and `--stats` are open, so that
/// they are counted.
pub(super) fn fit_open_files(mut limits: Limits) -> Limits {
    let (concurrency, warning) = crate::fdlimit::fit_concurrency(limits.concurrency);
    if let Some(warning) = warning {
        crate::exit::say(&warning);
    }
    limits.concurrency = concurrency;
    limits
}

/// The default of `--threads`: `FANOUT_THREADS` when set, else what
/// `concurrency` slots keep busy ([`crate::config::default_threads`]).
fn threads_from_env(concurrency: NonZeroUsize) -> anyhow::Result<NonZeroUsize> {
    use crate::config::{THREADS_ENV, default_threads};
    match std::env::var(THREADS_ENV) {
        Ok(v) if !v.trim().is_empty() => match v.trim().parse() {
            Ok(n) => Ok(n),
            Err(_) => bail!("{THREADS_ENV}={v:?} must be a whole number of at least 1"),
        },
        _ => Ok(default_threads(concurrency)),
    }
}
