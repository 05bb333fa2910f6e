//! The "Protection" group: circuit breakers, the retry budget, request ids
//! and metrics, resolved into [`Config::protection`](crate::Config::protection).

use std::net::SocketAddr;
use std::num::NonZeroU32;

use clap::Args;
use reqwest::header::HeaderName;

use super::parse;
use crate::config::{DEFAULT_TRIP_COOLDOWN, Protection};
use crate::values::Dur;

/// `--help` heading "Protection": protecting what you call.
#[derive(Debug, Args)]
pub struct ProtectionArgs {
    /// Open a host's circuit after N consecutive final failures; 0 = off
    ///
    /// Its URLs then get `circuit_open` records without a request for
    /// --trip-cooldown; then one URL probes the host: success closes the
    /// circuit, failure opens it again.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = parse::trip_after, allow_negative_numbers = true)]
    pub trip_after: u32,

    /// How long an open circuit refuses requests
    #[arg(long, value_name = "DUR", default_value_t = Dur(DEFAULT_TRIP_COOLDOWN), value_parser = parse::duration, allow_hyphen_values = true)]
    pub trip_cooldown: Dur,

    /// Retries may be at most PCT% of first attempts (at least 10) [default: off]
    #[arg(long, value_name = "PCT", value_parser = parse::percent, allow_negative_numbers = true)]
    pub retry_budget: Option<f64>,

    /// Send a fresh UUID v7 in header NAME on every attempt; records get `request_id`
    #[arg(long, value_name = "NAME")]
    pub request_id: Option<String>,

    /// Serve Prometheus metrics on http://ADDR/metrics while running
    #[arg(long, value_name = "ADDR", value_parser = parse::listen_addr)]
    pub metrics: Option<SocketAddr>,
}

impl ProtectionArgs {
    /// The protections, with the `--request-id` header name checked.
    pub(super) fn resolve(self) -> anyhow::Result<Protection> {
        Ok(Protection {
            trip_after: NonZeroU32::new(self.trip_after),
            trip_cooldown: self.trip_cooldown.0,
            retry_budget: self.retry_budget,
            request_id: self.request_id.as_deref().map(request_id).transpose()?,
            metrics: self.metrics,
        })
    }
}

/// `--request-id NAME`.
fn request_id(name: &str) -> anyhow::Result<HeaderName> {
    HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
        anyhow::anyhow!("invalid --request-id header name `{name}`; use e.g. X-Request-Id")
    })
}
