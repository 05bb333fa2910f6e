//! The command line, as the user typed it.
//!
//! [`Cli`] is flattened from one struct per help group (`args.rs`).
//! [`Cli::into_config`] validates and resolves it (`resolve.rs`: reads
//! `-d @file` and `--cacert`, builds the proxy, opens `-i` files) into the
//! library's [`Config`], [`Input`] and [`Finish`]; the rest of the crate
//! never sees clap. Each flag's doc comment is its help text; defaults come
//! from the library's constants so help and behaviour agree.

mod args;
mod outputs;
mod resolve;
mod routing;

use std::io::IsTerminal;
use std::num::NonZeroUsize;

use anyhow::bail;
use clap::Parser;

use crate::config::*;
use crate::exit::Finish;
use crate::input::Input;
use crate::output::Format;
use crate::retry::RetryPolicy;

pub use self::args::*;
pub use self::outputs::*;
pub use self::routing::{InputFormat, RoutingArgs};

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

    #[command(flatten)]
    #[allow(missing_docs)]
    pub input: args::InputArgs,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub limits: args::LimitArgs,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub retry: args::RetryArgs,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub protection: args::ProtectionArgs,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub request: args::RequestArgs,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub routing: routing::RoutingArgs,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub success: outputs::SuccessArgs,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: outputs::OutputArgs,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub verdicts: outputs::VerdictArgs,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub save: outputs::SaveArgs,
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
/// whether the stream written to (stdout for records, stderr for logs) is
/// a terminal.
pub fn use_color(flag: ColorArg, no_color: Option<&std::ffi::OsStr>, is_terminal: bool) -> bool {
    match flag {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => is_terminal && no_color.is_none_or(|v| v.is_empty()),
    }
}

/// What the command line resolves to: the run's settings, its input, and
/// what to do when it ends.
pub struct Parsed {
    /// The run's validated settings.
    pub config: Config,
    /// Where URLs come from.
    pub input: Input,
    /// The end-of-run output (`-q`, `--stats`).
    pub finish: Finish,
}

impl Cli {
    /// Validates and resolves the command line. Every error is a usage error
    /// (exit status 2) with a one-line message.
    pub fn into_config(self) -> anyhow::Result<Parsed> {
        let (l, r, p, q, s, o) = (
            self.limits,
            self.retry,
            self.protection,
            self.request,
            self.success,
            self.output,
        );
        if l.timeout.0.is_zero() {
            bail!("--timeout must be longer than 0");
        }
        if l.connect_timeout.0.is_zero() {
            bail!("--connect-timeout must be longer than 0");
        }
        // A zero deadline would cancel every URL before it starts.
        if l.deadline.is_some_and(|d| d.0.is_zero()) {
            bail!("--deadline must be longer than 0; use e.g. --deadline 5m");
        }
        // 0 = no limit, for bodies streamed to disk (-o) or only counted;
        // a body held in memory must stay bounded.
        let max_body = match o.max_body.0 {
            0 if o.body || s.expect.is_some() || !s.expect_jq.is_empty() => bail!(
                "--max-body 0 (no limit) cannot be used with --body, --expect or \
                 --expect-jq, which hold the body in memory; give a size"
            ),
            0 => u64::MAX,
            n => n,
        };
        if let Some(pct) = p.retry_budget {
            if !(0.0..=100.0).contains(&pct) {
                bail!("--retry-budget must be a percentage from 0 to 100");
            }
        }
        let mut request = resolve::request(q, max_body)?;
        let jsonl = self.routing.input_format == InputFormat::Jsonl;
        routing::apply(self.routing, &mut request)?;
        let success = Success {
            accept: s.accept,
            expect: s.expect.as_deref().map(resolve::expect).transpose()?,
            slow: s.slow.map(|d| d.0),
            expect_headers: s
                .expect_header
                .iter()
                .map(|h| crate::check::ExpectHeader::parse(h))
                .collect::<Result<_, _>>()
                .map_err(anyhow::Error::msg)?,
            expect_jq: s
                .expect_jq
                .iter()
                .map(|f| {
                    crate::check::JqFilter::compile(f)
                        .map_err(|e| anyhow::anyhow!("--expect-jq `{f}` does not compile: {e}"))
                })
                .collect::<Result<_, _>>()?,
            cert_valid: s.cert_valid.map(|d| d.0),
        };
        let response_headers = match o.response_header.is_empty() {
            true => None,
            false => Some(
                crate::inspect::HeaderPick::parse(&o.response_header)
                    .map_err(anyhow::Error::msg)?,
            ),
        };
        let protection = Protection {
            trip_after: std::num::NonZeroU32::new(p.trip_after),
            trip_cooldown: p.trip_cooldown.0,
            retry_budget: p.retry_budget,
            request_id: p
                .request_id
                .as_deref()
                .map(resolve::request_id)
                .transpose()?,
            metrics: p.metrics,
        };
        // Checked before any request, so a bad path is a usage error up front.
        let stats = match o.stats {
            Some(path) => match crate::files::check_writable(&path) {
                Ok(()) => Some(path),
                Err(e) => bail!("cannot write --stats {}: {e}", path.display()),
            },
            None => None,
        };
        let verdicts = resolve::verdicts(self.verdicts)?;
        let input = resolve::input(self.urls, self.input, jsonl)?;
        // Created before any request, so a bad directory is a usage error.
        let save = resolve::save(self.save)?;
        let stdout_tty = std::io::stdout().is_terminal();
        let config = Config {
            limits: Limits {
                concurrency: l.concurrency,
                per_host: NonZeroUsize::new(l.per_host),
                adaptive: l.adaptive,
                rate: l.rate,
                timeout: l.timeout.0,
                connect_timeout: l.connect_timeout.0,
                deadline: l.deadline.map(|d| d.0),
                threads: match l.threads {
                    Some(n) => n,
                    None => resolve::threads_from_env()?,
                },
            },
            retry: RetryPolicy {
                retries: r.retries,
                retry_on: r.retry_on,
                backoff: r.backoff.0,
                backoff_max: r.backoff_max.0,
                retry_all_methods: r.retry_all_methods,
            },
            success,
            protection,
            request,
            output: OutputSpec {
                format: match o.format {
                    FormatArg::Auto if stdout_tty => Format::Text,
                    FormatArg::Auto | FormatArg::Jsonl => Format::Jsonl,
                    FormatArg::Text => Format::Text,
                    FormatArg::Csv => Format::Csv,
                },
                color: use_color(o.color, std::env::var_os("NO_COLOR").as_deref(), stdout_tty),
                progress: !o.quiet && !o.no_progress && std::io::stderr().is_terminal(),
                flush_each_record: stdout_tty,
                ordered: o.ordered,
                keep_body: o.body,
                host_stats: o.host_stats,
                timings: o.timings,
                tls_info: o.tls_info,
                response_headers,
                save,
            },
            verdicts,
        };
        Ok(Parsed {
            config,
            input,
            finish: Finish {
                quiet: o.quiet,
                stats,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use reqwest::Method;
    use reqwest::header;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    fn config(args: &[&str]) -> anyhow::Result<Config> {
        let mut argv = vec!["fanout"];
        argv.extend_from_slice(args);
        argv.push("http://127.0.0.1/");
        Cli::try_parse_from(argv)?.into_config().map(|p| p.config)
    }

    #[test]
    fn defaults_match_the_library() {
        let c = config(&[]).unwrap();
        let d = Config::default();
        assert_eq!(c.limits.concurrency, d.limits.concurrency);
        assert_eq!(c.limits.timeout, d.limits.timeout);
        assert_eq!(c.limits.per_host, None);
        assert_eq!(c.protection.trip_after, None);
        assert_eq!(c.retry.retries, d.retry.retries);
        assert_eq!(c.retry.retry_on, d.retry.retry_on);
        assert_eq!(c.success.accept, d.success.accept);
        assert_eq!(c.request.max_body, d.request.max_body);
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
            &["--max-body", "0", "--body"],
            &["--max-body", "0", "--expect", "x"],
            &["--output-name", "{nope}"],
            &["-o", "/dev/null/sub"],
            &["--max-body", "lots"],
            &["-X", "BAD METHOD"],
            &["-d", "@/nonexistent/file"],
            &["--shard", "0/3"],
            &["--shard", "4/3"],
            &["--shard", "x/y"],
            &["--rate", "0"],
            &["--expect", "("],
            &["--expect-header", "no-colon"],
            &["--expect-header", "x-a: ("],
            &["--expect-jq", ".a |"],
            &["--expect-jq", "nosuch(1)"],
            &["--cert-valid", "soon"],
            &["--response-header", "bad name"],
            &["--skip-done", "/nonexistent/out.jsonl"],
            &["--retry-budget", "101"],
            &["--retry-budget", "-1"],
            &["--request-id", "bad header"],
            &["--metrics", "not-an-address"],
            &["--proxy", "not a url"],
            &["--cacert", "/nonexistent/ca.pem"],
            &["--report", "xml=r.xml"],
            &["--report", "junit"],
            &["--report", "junit=/nonexistent/dir/r.xml"],
            &["--report", "markdown=/"],
            &["--max-failures", "2", "--fail-fast"],
        ] {
            assert!(config(args).is_err(), "{args:?} should fail");
        }
    }
}
