//! The command line, as the user typed it.
//!
//! Only parsing lives here. [`Cli::into_config`] validates and resolves it
//! (reads `-d @file` and `--cacert`, opens `-i` files) into the library's
//! [`Config`] and [`Input`]; the rest of the crate never sees clap. Each
//! flag's doc comment is its help text; defaults come from `config`'s
//! constants so help and behaviour agree.

use std::io::IsTerminal;
use std::num::NonZeroUsize;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Parser;
use reqwest::Method;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};

use crate::config::*;
use crate::input::{Input, Shard, load_done};
use crate::output::Format;
use crate::retry::RetryPolicy;

const EXAMPLES: &str = "\
Examples:
  fanout https://example.com/a https://example.com/b
  cat urls.txt | fanout -c 64 --timeout 5s --retries 3 > results.jsonl
  fanout -i urls.txt --accept 200,301 || echo \"health check failed\"
  fanout -i urls.txt | jq -r 'select(.ok | not) | .url'";

/// Fetch many URLs at once and write one JSON record per URL.
///
/// URLs come from the arguments, from -i files, or from stdin (one per line;
/// blank lines and #comments are skipped). Records are JSON Lines on stdout;
/// the exit status is 0 when every URL is ok, 1 when one is not, 2 on a
/// usage error, 130/143 when interrupted.
#[derive(Debug, Parser)]
#[command(name = "fanout", version, after_help = EXAMPLES, max_term_width = 100)]
pub struct Cli {
    /// URLs to fetch
    #[arg(value_name = "URL")]
    pub urls: Vec<String>,

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
    /// Records with error kind `cancelled` or `circuit_open` are not final:
    /// those URLs run again. With `>> FILE` this resumes an interrupted run.
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    pub skip_done: Option<PathBuf>,

    /// Skip a URL already seen in this run (same trimmed line)
    #[arg(long, help_heading = "Input")]
    pub dedup: bool,

    /// At most N requests in flight
    #[arg(
        short = 'c',
        long,
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
        help_heading = "Concurrency"
    )]
    pub per_host: usize,

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

    /// Extra attempts after the first
    #[arg(short = 'r', long, value_name = "N", default_value_t = DEFAULT_RETRIES, help_heading = "Retries")]
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

    /// Open a host's circuit after N consecutive final failures; 0 = off
    ///
    /// Its URLs then get `circuit_open` records without a request for
    /// --trip-cooldown; then one URL probes the host: success closes the
    /// circuit, failure opens it again.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0,
        help_heading = "Protection"
    )]
    pub trip_after: u32,

    /// How long an open circuit refuses requests
    #[arg(long, value_name = "DUR", default_value_t = Dur(DEFAULT_TRIP_COOLDOWN), help_heading = "Protection")]
    pub trip_cooldown: Dur,

    /// Retries may be at most PCT% of first attempts (at least 10) [default: off]
    #[arg(long, value_name = "PCT", help_heading = "Protection")]
    pub retry_budget: Option<f64>,

    /// Send a fresh UUID v7 in header NAME on every attempt; records get `request_id`
    #[arg(long, value_name = "NAME", help_heading = "Protection")]
    pub request_id: Option<String>,

    /// Serve Prometheus metrics on http://ADDR/metrics while running
    #[arg(long, value_name = "ADDR", help_heading = "Protection")]
    pub metrics: Option<std::net::SocketAddr>,

    /// HTTP method [default: GET, or POST with -d]
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

    /// Request body; @FILE reads it from FILE
    #[arg(
        short = 'd',
        long = "data",
        value_name = "DATA",
        help_heading = "Request"
    )]
    pub data: Option<String>,

    /// User-Agent header
    #[arg(short = 'A', long, value_name = "UA", default_value = DEFAULT_USER_AGENT, help_heading = "Request")]
    pub user_agent: String,

    /// Redirects followed per attempt; 0 = don't follow
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_REDIRECTS, help_heading = "Request")]
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

    /// Final statuses that count as success (codes and ranges)
    #[arg(long, value_name = "LIST", default_value = DEFAULT_ACCEPT, help_heading = "Success")]
    pub accept: StatusSet,

    /// The body (up to --max-body) must match REGEX
    #[arg(long, value_name = "REGEX", help_heading = "Success")]
    pub expect: Option<String>,

    /// The URL must finish (`elapsed_ms`, retries included) within DUR
    #[arg(long, value_name = "DUR", help_heading = "Success")]
    pub slow: Option<Dur>,

    /// Write records in input order (default: as they finish)
    #[arg(long, help_heading = "Output")]
    pub ordered: bool,

    /// Add the response body to each record
    #[arg(long, help_heading = "Output")]
    pub body: bool,

    /// Most body bytes read per response; more is error `too_large`
    ///
    /// SIZE is bytes, or with KB/MB/GB (powers of 1000) or KiB/MiB/GiB.
    #[arg(long, value_name = "SIZE", default_value_t = Size(DEFAULT_MAX_BODY), help_heading = "Output")]
    pub max_body: Size,

    /// Record format [auto: text on a terminal, else jsonl]
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = FormatArg::Auto, help_heading = "Output")]
    pub format: FormatArg,

    /// Colour the text format [auto: on a terminal, unless NO_COLOR is set]
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorArg::Auto, help_heading = "Output")]
    pub color: ColorArg,

    /// Don't draw the progress line on stderr
    #[arg(long, help_heading = "Output")]
    pub no_progress: bool,

    /// No summary and no progress line on stderr
    #[arg(short = 'q', long, help_heading = "Output")]
    pub quiet: bool,

    /// Write the end-of-run summary to FILE as one JSON object
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub stats: Option<PathBuf>,

    /// Print a shell completion script or the man page, then exit
    #[arg(long, value_enum, value_name = "WHAT", help_heading = "Output")]
    pub generate: Option<Generate>,

    /// More logging on stderr (-v info, -vv debug); RUST_LOG overrides
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count, help_heading = "Output")]
    pub verbose: u8,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// Text on a terminal, JSON Lines otherwise.
    Auto,
    /// One JSON object per line.
    Jsonl,
    /// One aligned line per URL, for people.
    Text,
    /// Comma-separated values with a header.
    Csv,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorArg {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// `--generate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Generate {
    /// Bash completions.
    CompleteBash,
    /// Zsh completions.
    CompleteZsh,
    /// Fish completions.
    CompleteFish,
    /// The man page (roff).
    Man,
}

/// Writes what `--generate` asks for, from the same definitions as `--help`.
pub fn generate(what: Generate, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use clap::CommandFactory;
    use clap_complete::Shell;
    let mut cmd = Cli::command();
    let shell = match what {
        Generate::CompleteBash => Shell::Bash,
        Generate::CompleteZsh => Shell::Zsh,
        Generate::CompleteFish => Shell::Fish,
        Generate::Man => return clap_mangen::Man::new(cmd).render(out),
    };
    clap_complete::generate(shell, &mut cmd, "fanout", out);
    Ok(())
}

/// Whether colour is wanted, given the flag, the `NO_COLOR` convention and
/// whether stdout is a terminal.
pub fn use_color(
    flag: ColorArg,
    no_color: Option<&std::ffi::OsStr>,
    stdout_is_terminal: bool,
) -> bool {
    match flag {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => stdout_is_terminal && no_color.is_none_or(|v| v.is_empty()),
    }
}

impl Cli {
    /// Validates and resolves the command line. Every error is a usage error
    /// (exit status 2) with a one-line message.
    pub fn into_config(self) -> anyhow::Result<(Config, Input)> {
        let method = match (&self.method, &self.data) {
            (Some(m), _) => Method::from_bytes(m.to_ascii_uppercase().as_bytes())
                .map_err(|_| anyhow::anyhow!("invalid method `{m}`"))?,
            (None, Some(_)) => Method::POST,
            (None, None) => Method::GET,
        };

        let mut headers = HeaderMap::new();
        let ua = HeaderValue::from_str(&self.user_agent)
            .map_err(|_| anyhow::anyhow!("invalid user agent `{}`", self.user_agent))?;
        headers.insert(header::USER_AGENT, ua);
        for h in &self.headers {
            let (name, value) = parse_header(h)?;
            // -H replaces -A's User-Agent; other names may repeat.
            if name == header::USER_AGENT {
                headers.insert(name, value);
            } else {
                headers.append(name, value);
            }
        }

        let body = match &self.data {
            None => None,
            Some(d) => match d.strip_prefix('@') {
                Some(path) => {
                    Some(std::fs::read(path).with_context(|| format!("cannot read -d @{path}"))?)
                }
                None => Some(d.clone().into_bytes()),
            },
        };
        if body.is_some() && !headers.contains_key(header::CONTENT_TYPE) {
            // As curl does for -d.
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
        }

        let cacert_pem = match &self.cacert {
            Some(p) => Some(
                std::fs::read(p)
                    .with_context(|| format!("cannot read --cacert {}", p.display()))?,
            ),
            None => None,
        };

        if self.timeout.0.is_zero() {
            bail!("--timeout must be longer than 0");
        }
        if self.connect_timeout.0.is_zero() {
            bail!("--connect-timeout must be longer than 0");
        }
        if self.max_body.0 == 0 {
            bail!("--max-body must be at least 1 byte");
        }

        let expect = match &self.expect {
            Some(re) => Some(regex::bytes::Regex::new(re).map_err(|e| {
                anyhow::anyhow!("invalid --expect regex: {}", first_line(&e.to_string()))
            })?),
            None => None,
        };

        let mut input = Input::new();
        if let Some(shard) = self.shard {
            input.shard(shard);
        }
        if self.dedup {
            input.dedup();
        }
        if let Some(path) = &self.skip_done {
            let file = std::fs::File::open(path)
                .with_context(|| format!("cannot read --skip-done {}", path.display()))?;
            let done = load_done(std::io::BufReader::new(file))
                .with_context(|| format!("cannot read --skip-done {}", path.display()))?;
            warn_unreadable(path, &done.unreadable, done.lines);
            input.skip_done(done.hashes);
        }
        let from_args = !self.urls.is_empty();
        input.push_lines(self.urls);
        for path in &self.inputs {
            if path.as_os_str() == "-" {
                input.push_stdin();
            } else {
                input
                    .push_file(path)
                    .with_context(|| format!("cannot open input file {}", path.display()))?;
            }
        }
        if !from_args && self.inputs.is_empty() {
            if std::io::stdin().is_terminal() {
                bail!(NO_URLS);
            }
            input.push_stdin();
        }

        if let Some(pct) = self.retry_budget {
            if !(0.0..=100.0).contains(&pct) {
                bail!("--retry-budget must be a percentage from 0 to 100");
            }
        }
        let request_id = match &self.request_id {
            Some(name) => Some(
                HeaderName::from_bytes(name.trim().as_bytes())
                    .map_err(|_| anyhow::anyhow!("invalid --request-id header name `{name}`"))?,
            ),
            None => None,
        };
        let stdout_tty = std::io::stdout().is_terminal();
        let config = Config {
            concurrency: self.concurrency,
            timeout: self.timeout.0,
            connect_timeout: self.connect_timeout.0,
            deadline: self.deadline.map(|d| d.0),
            retry: RetryPolicy {
                retries: self.retries,
                retry_on: self.retry_on,
                backoff: self.backoff.0,
                backoff_max: self.backoff_max.0,
                retry_all_methods: self.retry_all_methods,
            },
            request: RequestSpec {
                method,
                headers,
                body: body.map(Into::into),
                max_redirects: self.max_redirects,
                insecure: self.insecure,
                cacert_pem,
                proxy: self.proxy,
                http1_only: self.http1_1,
            },
            accept: self.accept,
            ordered: self.ordered,
            keep_body: self.body,
            max_body: self.max_body.0,
            flush_each_record: stdout_tty,
            format: match self.format {
                FormatArg::Auto if stdout_tty => Format::Text,
                FormatArg::Auto | FormatArg::Jsonl => Format::Jsonl,
                FormatArg::Text => Format::Text,
                FormatArg::Csv => Format::Csv,
            },
            color: use_color(
                self.color,
                std::env::var_os("NO_COLOR").as_deref(),
                stdout_tty,
            ),
            progress: !self.quiet && !self.no_progress && std::io::stderr().is_terminal(),
            per_host: self.per_host,
            rate: self.rate,
            expect,
            slow: self.slow.map(|d| d.0),
            trip_after: std::num::NonZeroU32::new(self.trip_after),
            trip_cooldown: self.trip_cooldown.0,
            retry_budget: self.retry_budget,
            request_id,
            metrics: self.metrics,
        };
        Ok((config, input))
    }
}

/// The one-line usage error when there is nothing to fetch.
pub const NO_URLS: &str =
    "no URLs to fetch; give them as arguments, with -i FILE, or one per line on stdin";

fn first_line(s: &str) -> &str {
    s.lines().find(|l| !l.trim().is_empty()).unwrap_or(s).trim()
}

/// Tells the user about lines of a `--skip-done` file that are not records;
/// a torn last line is what a crash mid-write leaves, so it is expected.
fn warn_unreadable(path: &std::path::Path, lines: &[u64], total: u64) {
    use std::io::Write;
    let Some(&first) = lines.first() else { return };
    let what = if lines.len() == 1 && first == total {
        format!("ignoring a torn last line (line {first})")
    } else {
        format!(
            "ignoring {} lines that are not records (first: line {first})",
            lines.len()
        )
    };
    let _ = writeln!(
        std::io::stderr().lock(),
        "fanout: warning: --skip-done {}: {what}; those URLs will run again",
        path.display()
    );
}

/// Parses `-H 'Name: value'`. Errors never quote the value: it may be a
/// credential (`Authorization`, `Cookie`), and a header with no colon may be
/// nothing but one.
fn parse_header(h: &str) -> anyhow::Result<(HeaderName, HeaderValue)> {
    let Some((name, value)) = h.split_once(':') else {
        bail!("invalid header (no `:`); write it as 'Name: value'");
    };
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| anyhow::anyhow!("invalid header name `{}`", name.trim()))?;
    let value = HeaderValue::from_str(value.trim())
        .map_err(|_| anyhow::anyhow!("invalid value for header `{name}`"))?;
    Ok((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    fn config(args: &[&str]) -> anyhow::Result<Config> {
        let mut argv = vec!["fanout"];
        argv.extend_from_slice(args);
        argv.push("http://127.0.0.1/");
        Cli::try_parse_from(argv)?.into_config().map(|(c, _)| c)
    }

    #[test]
    fn defaults_match_the_library() {
        let c = config(&[]).unwrap();
        let d = Config::default();
        assert_eq!(c.concurrency, d.concurrency);
        assert_eq!(c.timeout, d.timeout);
        assert_eq!(c.retry.retries, d.retry.retries);
        assert_eq!(c.retry.retry_on, d.retry.retry_on);
        assert_eq!(c.accept, d.accept);
        assert_eq!(c.max_body, d.max_body);
        assert_eq!(c.request.method, Method::GET);
        assert_eq!(
            c.request.headers.get(header::USER_AGENT).unwrap(),
            DEFAULT_USER_AGENT
        );
    }

    #[test]
    fn data_implies_post_with_a_form_content_type() {
        let c = config(&["-d", "a=1"]).unwrap();
        assert_eq!(c.request.method, Method::POST);
        assert_eq!(c.request.body.as_deref(), Some(&b"a=1"[..]));
        assert_eq!(
            c.request.headers.get(header::CONTENT_TYPE).unwrap(),
            "application/x-www-form-urlencoded"
        );
        let c = config(&[
            "-d",
            "{}",
            "-X",
            "put",
            "-H",
            "Content-Type: application/json",
        ])
        .unwrap();
        assert_eq!(c.request.method, Method::PUT);
        assert_eq!(
            c.request.headers.get(header::CONTENT_TYPE).unwrap(),
            "application/json"
        );
    }

    #[test]
    fn headers_parse_and_override_the_user_agent() {
        let c = config(&["-H", "X-A: 1", "-H", "x-a:2", "-H", "User-Agent: probe"]).unwrap();
        let values: Vec<_> = c.request.headers.get_all("x-a").iter().collect();
        assert_eq!(values, ["1", "2"]);
        assert_eq!(c.request.headers.get(header::USER_AGENT).unwrap(), "probe");
        for bad in ["NoColon", "Bad Name: x", ": empty"] {
            assert!(config(&["-H", bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn color_follows_the_flag_no_color_and_the_terminal() {
        let set = Some(std::ffi::OsStr::new("1"));
        let empty = Some(std::ffi::OsStr::new(""));
        assert!(use_color(ColorArg::Auto, None, true));
        assert!(!use_color(ColorArg::Auto, set, true));
        assert!(
            use_color(ColorArg::Auto, empty, true),
            "an empty NO_COLOR does not count"
        );
        assert!(!use_color(ColorArg::Auto, None, false));
        assert!(use_color(ColorArg::Always, set, false));
        assert!(!use_color(ColorArg::Never, None, true));
    }

    #[test]
    fn completions_and_man_page_generate() {
        for what in [
            Generate::CompleteBash,
            Generate::CompleteZsh,
            Generate::CompleteFish,
            Generate::Man,
        ] {
            let mut out = Vec::new();
            generate(what, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            assert!(
                text.replace("\\-", "-").contains("per-host"),
                "{what:?} lacks a flag"
            );
        }
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for args in [
            &["-c", "0"][..],
            &["-t", "0s"],
            &["-t", "soon"],
            &["--accept", "2xx"],
            &["--max-body", "0"],
            &["--max-body", "lots"],
            &["-X", "BAD METHOD"],
            &["-d", "@/nonexistent/file"],
            &["--shard", "0/3"],
            &["--shard", "4/3"],
            &["--shard", "x/y"],
            &["--rate", "0"],
            &["--expect", "("],
            &["--skip-done", "/nonexistent/out.jsonl"],
            &["--retry-budget", "101"],
            &["--retry-budget", "-1"],
            &["--request-id", "bad header"],
            &["--metrics", "not-an-address"],
        ] {
            assert!(config(args).is_err(), "{args:?} should fail");
        }
    }
}
