//! The "What answered" group: what records tell of the final response
//! beyond its status (`--timings`, `--tls-info`, `--response-header`),
//! resolved into [`Config::inspect`](crate::Config::inspect).

use clap::Args;

use crate::config::Inspect;
use crate::inspect::HeaderPick;

/// `--help` heading "What answered".
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Add `timings` (dns, connect, ttfb, download; reused) of the final hop
    #[arg(long)]
    pub timings: bool,

    /// Add `tls`: the leaf certificate of an https final response
    #[arg(long)]
    pub tls_info: bool,

    /// Add `headers`: response header NAME (case-insensitive, * = all); repeatable
    #[arg(long, value_name = "NAME")]
    pub response_header: Vec<String>,
}

impl InspectArgs {
    /// What to keep of the final response, with the header names checked.
    pub(super) fn resolve(self) -> anyhow::Result<Inspect> {
        let response_headers = match self.response_header.is_empty() {
            true => None,
            false => Some(HeaderPick::parse(&self.response_header).map_err(anyhow::Error::msg)?),
        };
        Ok(Inspect {
            timings: self.timings,
            tls_info: self.tls_info,
            response_headers,
        })
    }
}
