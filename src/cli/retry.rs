//! The "Retries" group: when and how long to wait before another attempt,
//! resolved into [`Config::retry`](crate::Config::retry).

use clap::Args;

use super::parse;
use crate::retry::{
    DEFAULT_BACKOFF, DEFAULT_BACKOFF_MAX, DEFAULT_RETRIES, DEFAULT_RETRY_ON, RetryPolicy,
};
use crate::values::{Dur, StatusSet};

/// `--help` heading "Retries".
#[derive(Debug, Args)]
pub struct RetryArgs {
    /// Extra attempts after the first
    #[arg(short = 'r', long, value_name = "N", default_value_t = DEFAULT_RETRIES, value_parser = parse::retries, allow_negative_numbers = true)]
    pub retries: u32,

    /// Statuses that are retried (codes and ranges)
    #[arg(long, value_name = "LIST", default_value = DEFAULT_RETRY_ON)]
    pub retry_on: StatusSet,

    /// Cap of the first retry's random wait; doubles per retry
    #[arg(long, value_name = "DUR", default_value_t = Dur(DEFAULT_BACKOFF), value_parser = parse::duration, allow_hyphen_values = true)]
    pub backoff: Dur,

    /// Cap of any wait; a longer Retry-After is not waited for
    #[arg(long, value_name = "DUR", default_value_t = Dur(DEFAULT_BACKOFF_MAX), value_parser = parse::duration, allow_hyphen_values = true)]
    pub backoff_max: Dur,

    /// Also retry non-idempotent methods (POST, PATCH) after they may have
    /// reached the server
    #[arg(long)]
    pub retry_all_methods: bool,
}

impl RetryArgs {
    /// The retry policy; every value the parsers let through is valid.
    pub(super) fn resolve(self) -> RetryPolicy {
        RetryPolicy {
            retries: self.retries,
            retry_on: self.retry_on,
            backoff: self.backoff.0,
            backoff_max: self.backoff_max.0,
            retry_all_methods: self.retry_all_methods,
        }
    }
}
