//! The "Request" group: what each request looks like — method, headers,
//! body, redirects, TLS, proxy, how much of the answer is read — and the
//! settings that differ per line or per host (`--input-format`,
//! `--resolve`, `--header-for`, `--cert`, `-4`/`-6`). Resolved into
//! [`Config::request`](crate::Config::request); the files it names are
//! read and the per-host settings checked in `routing.rs`.

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use reqwest::Method;
use reqwest::header::{self, HeaderMap, HeaderValue};

use super::{parse, routing};
use crate::config::{
    DEFAULT_MAX_BODY, DEFAULT_MAX_REDIRECTS, DEFAULT_USER_AGENT, IpFamily, RequestSpec,
};
use crate::fetch::redact_str;
use crate::routes::ResolveRule;
use crate::values::Size;

/// `--input-format`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// One URL per line.
    #[default]
    Lines,
    /// One JSON object per line: url, method, headers, body or body_base64, id.
    Jsonl,
}

/// `--help` heading "Request": what each request looks like.
#[derive(Debug, Args)]
pub struct RequestArgs {
    /// HTTP method [default: GET, or POST with -d or --data-binary]
    ///
    /// HEAD,GET (the one list accepted): HEAD first; when its final status is not accepted
    /// and is not 408, 429 or 503, GET once more and judge that answer. Records then gain
    /// "method", the method that gave the final answer.
    #[arg(short = 'X', long = "method", value_name = "METHOD")]
    pub method: Option<String>,

    /// Add a header, 'Name: value'; @FILE reads them from FILE; repeatable
    ///
    /// FILE has one 'Name: value' per line (blank and # lines skipped), so a secret stays out
    /// of the command line: -H @<(printf 'Authorization: Bearer %s\n' "$TOKEN"). Values read
    /// from a file are never logged.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,

    /// Request body; @FILE reads it from FILE, without CR and LF
    ///
    /// As curl's -d: the file's carriage returns and newlines are removed.
    /// --data-binary keeps them.
    #[arg(short = 'd', long = "data", value_name = "DATA")]
    pub data: Option<String>,

    /// Request body sent byte for byte; @FILE reads FILE as it is
    ///
    /// Unlike -d @FILE, which drops the file's carriage returns and newlines
    /// as curl does.
    #[arg(long = "data-binary", value_name = "DATA", conflicts_with = "data")]
    pub data_binary: Option<String>,

    /// User-Agent header
    #[arg(short = 'A', long, value_name = "UA", default_value = DEFAULT_USER_AGENT)]
    pub user_agent: String,

    /// Redirects followed per attempt; 0 = don't follow
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_REDIRECTS, value_parser = parse::max_redirects, allow_negative_numbers = true)]
    pub max_redirects: u32,

    /// Most body bytes read per response; more is error `too_large`
    ///
    /// SIZE is bytes, or with KB/MB/GB (powers of 1000) or KiB/MiB/GiB;
    /// 0 = no limit (not with --body, --expect or --expect-jq, which hold the
    /// body).
    #[arg(long, value_name = "SIZE", default_value_t = Size(DEFAULT_MAX_BODY), value_parser = parse::size, allow_hyphen_values = true)]
    pub max_body: Size,

    /// Don't verify TLS certificates
    #[arg(short = 'k', long)]
    pub insecure: bool,

    /// Also trust the CA certificates in FILE (PEM)
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,

    /// Send every request through this proxy [default: HTTP(S)_PROXY, NO_PROXY]
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,

    /// Speak HTTP/1.1 only (no HTTP/2)
    #[arg(long = "http1.1")]
    pub http1_1: bool,

    /// How input lines are read: one URL each, or one JSON request object each
    ///
    /// jsonl: each line is an object with "url" (required) and optionally
    /// "method", "headers" (name: string or array of strings), "body" or
    /// "body_base64", and "id" (any JSON value, echoed as the record's "id").
    /// --shard, --dedup and --skip-done then key on the id when given, else
    /// the url.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = InputFormat::Lines)]
    pub input_format: InputFormat,

    /// Connect to ADDR for requests to HOST on PORT (HOST:PORT:ADDR[,ADDR...]); repeatable
    ///
    /// As curl's --resolve: the Host header, SNI and the certificate check
    /// stay HOST's; other ports of HOST resolve as usual. ADDR may be [v6].
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<ResolveRule>,

    /// Send header 'Name: value' only on requests to HOST (any port); @FILE reads them from
    /// FILE; repeatable
    ///
    /// Also after a redirect to HOST, never to another host. Replaces a -H
    /// header of the same name on HOST; a jsonl line's headers replace both.
    /// FILE as for -H @FILE.
    #[arg(long, num_args = 2, value_names = ["HOST", "HEADER"], action = clap::ArgAction::Append)]
    pub header_for: Vec<String>,

    /// Client certificate chain for mutual TLS (PEM); the key too, unless --key
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,

    /// Private key of --cert (PEM) [default: in the --cert file]
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,

    /// Use IPv4 addresses only
    #[arg(short = '4', long, conflicts_with = "ipv6")]
    pub ipv4: bool,

    /// Use IPv6 addresses only
    #[arg(short = '6', long)]
    pub ipv6: bool,
}

impl RequestArgs {
    /// The request settings, fully validated: files read, certificates
    /// and the proxy parsed. `--max-body 0` is `u64::MAX` (no limit).
    pub(super) fn resolve(self) -> anyhow::Result<RequestSpec> {
        // -d @FILE drops CR and LF, as curl does; --data-binary sends bytes
        // as they are.
        let (data, flag) = match (&self.data, &self.data_binary) {
            (Some(d), _) => (Some(d), "-d"),
            (None, d) => (d.as_ref(), "--data-binary"),
        };
        let head_then_get = self.method.as_deref().is_some_and(|m| m.contains(','));
        let method = match (&self.method, data) {
            (Some(m), _) if head_then_get => {
                let list: Vec<String> = m
                    .split(',')
                    .map(|p| p.trim().to_ascii_uppercase())
                    .collect();
                if list != ["HEAD", "GET"] {
                    bail!("invalid -X method list `{m}`: only HEAD,GET is accepted as a list");
                }
                Method::HEAD
            }
            (Some(m), _) => {
                Method::from_bytes(m.to_ascii_uppercase().as_bytes()).map_err(|_| {
                    anyhow::anyhow!("invalid -X method `{m}`; use e.g. -X HEAD or -X POST")
                })?
            }
            (None, Some(_)) => Method::POST,
            (None, None) => Method::GET,
        };
        let body = data.map(|d| routing::body(d, flag)).transpose()?;
        let headers = headers(&self, body.is_some())?;
        // reqwest's reason ("builder error: builder error: relative URL
        // without a base") says nothing a user can act on; an example does.
        let proxy = match &self.proxy {
            Some(proxy) => Some(reqwest::Proxy::all(proxy.as_str()).map_err(|_| {
                anyhow::anyhow!(
                    "invalid --proxy URL `{}`; use e.g. http://proxy.example:3128 or socks5h://127.0.0.1:1080",
                    redact_str(proxy)
                )
            })?),
            None => None,
        };
        Ok(RequestSpec {
            method,
            headers,
            body: body.map(Into::into),
            max_redirects: self.max_redirects,
            max_body: match self.max_body.0 {
                0 => u64::MAX,
                n => n,
            },
            insecure: self.insecure,
            cacerts: self
                .cacert
                .as_deref()
                .map(routing::cacerts)
                .transpose()?
                .unwrap_or_default(),
            proxy,
            http1_only: self.http1_1,
            method_given: self.method.is_some(),
            head_then_get,
            header_for: routing::header_for(&self.header_for)?,
            resolve: self.resolve,
            identity: self
                .cert
                .as_deref()
                .map(|cert| routing::identity(cert, self.key.as_deref()))
                .transpose()?,
            ip_family: match (self.ipv4, self.ipv6) {
                (true, _) => Some(IpFamily::V4),
                (_, true) => Some(IpFamily::V6),
                _ => None,
            },
            per_line: self.input_format == InputFormat::Jsonl,
        })
    }
}

/// `-A` and `-H`, and the form content type `-d` implies, as curl does.
fn headers(a: &RequestArgs, has_body: bool) -> anyhow::Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    let ua = HeaderValue::from_str(&a.user_agent)
        .map_err(|_| anyhow::anyhow!("invalid user agent `{}`", a.user_agent))?;
    headers.insert(header::USER_AGENT, ua);
    for h in &a.headers {
        for (name, value) in routing::headers_of(h, "-H")? {
            // -H replaces -A's User-Agent; other names may repeat.
            if name == header::USER_AGENT {
                headers.insert(name, value);
            } else {
                headers.append(name, value);
            }
        }
    }
    if has_body && !headers.contains_key(header::CONTENT_TYPE) {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
    }
    Ok(headers)
}
