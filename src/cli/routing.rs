//! The flags of requests that differ per host or per line —
//! `--input-format`, `--resolve`, `--header-for`, `--cert`/`--key`,
//! `-4`/`-6` — and their validation into the request settings. Apart from
//! `args.rs` so the Request group's basics stay short.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;

use crate::config::{IpFamily, RequestSpec};
use crate::routes::{HostHeaders, ResolveRule};

/// `--input-format`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// One URL per line.
    #[default]
    Lines,
    /// One JSON object per line: url, method, headers, body or body_base64, id.
    Jsonl,
}

/// Per-host and per-line request settings.
#[derive(Debug, Args)]
pub struct RoutingArgs {
    /// How input lines are read: one URL each, or one JSON request object each
    ///
    /// jsonl: each line is an object with "url" (required) and optionally
    /// "method", "headers" (name: string or array of strings), "body" or
    /// "body_base64", and "id" (any JSON value, echoed as the record's "id").
    /// --shard, --dedup and --skip-done then key on the id when given, else
    /// the url.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = InputFormat::Lines, help_heading = "Input")]
    pub input_format: InputFormat,

    /// Connect to ADDR for requests to HOST on PORT (HOST:PORT:ADDR[,ADDR...]); repeatable
    ///
    /// As curl's --resolve: the Host header, SNI and the certificate check
    /// stay HOST's; other ports of HOST resolve as usual. ADDR may be [v6].
    #[arg(long, value_name = "HOST:PORT:ADDR", help_heading = "Request")]
    pub resolve: Vec<ResolveRule>,

    /// Send header 'Name: value' only on requests to HOST (any port); repeatable
    ///
    /// Also after a redirect to HOST, never to another host. Replaces a -H
    /// header of the same name on HOST; a jsonl line's headers replace both.
    #[arg(long, num_args = 2, value_names = ["HOST", "HEADER"], action = clap::ArgAction::Append, help_heading = "Request")]
    pub header_for: Vec<String>,

    /// Client certificate chain for mutual TLS (PEM); the key too, unless --key
    #[arg(long, value_name = "FILE", help_heading = "Request")]
    pub cert: Option<PathBuf>,

    /// Private key of --cert (PEM) [default: in the --cert file]
    #[arg(long, value_name = "FILE", requires = "cert", help_heading = "Request")]
    pub key: Option<PathBuf>,

    /// Use IPv4 addresses only
    #[arg(short = '4', long, conflicts_with = "ipv6", help_heading = "Request")]
    pub ipv4: bool,

    /// Use IPv6 addresses only
    #[arg(short = '6', long, help_heading = "Request")]
    pub ipv6: bool,
}

/// Adds these settings to the validated request.
pub(super) fn apply(a: RoutingArgs, spec: &mut RequestSpec) -> anyhow::Result<()> {
    let mut header_for = HostHeaders::default();
    for pair in a.header_for.chunks(2) {
        let [host, header] = pair else {
            bail!("--header-for takes a HOST and a 'Name: value'");
        };
        if host.trim().is_empty() || host.contains(['/', ' ']) {
            bail!("invalid --header-for host `{host}`; give a host name, e.g. api.example.com");
        }
        let (name, value) = super::resolve::parse_header(header, "--header-for")?;
        header_for.add(host, name, value);
    }
    spec.header_for = header_for;
    spec.per_line = a.input_format == InputFormat::Jsonl;
    spec.resolve = a.resolve;
    spec.ip_family = match (a.ipv4, a.ipv6) {
        (true, _) => Some(IpFamily::V4),
        (_, true) => Some(IpFamily::V6),
        _ => None,
    };
    if let Some(cert) = &a.cert {
        let mut pem = std::fs::read(cert)
            .with_context(|| format!("cannot read --cert {}", cert.display()))?;
        if let Some(key) = &a.key {
            let key = std::fs::read(key)
                .with_context(|| format!("cannot read --key {}", key.display()))?;
            // rustls wants the key and the chain in one buffer.
            pem.push(b'\n');
            pem.extend_from_slice(&key);
        }
        let identity = reqwest::Identity::from_pem(&pem).map_err(|_| {
            anyhow::anyhow!(
                "--cert {}: no certificate and unencrypted private key found (PEM); give the key with --key if it is in another file",
                cert.display()
            )
        })?;
        spec.identity = Some(identity);
    }
    Ok(())
}
