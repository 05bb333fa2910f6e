//! The command line's flags for what is done with the answers — success
//! checks, output, CI verdicts, saving — one struct per help group,
//! flattened into [`super::Cli`] after those of `args.rs`.

use std::path::PathBuf;

use clap::Args;

use crate::config::*;
use crate::values::{Dur, Size, StatusSet};

use super::{ColorArg, FormatArg, Generate};

/// What makes a URL ok.
#[derive(Debug, Args)]
pub struct SuccessArgs {
    /// Final statuses that count as success (codes and ranges)
    #[arg(long, value_name = "LIST", default_value = DEFAULT_ACCEPT, help_heading = "Success")]
    pub accept: StatusSet,

    /// The body (up to --max-body) must match REGEX
    #[arg(long, value_name = "REGEX", help_heading = "Success")]
    pub expect: Option<String>,

    /// The URL must finish (`elapsed_ms`, retries included) within DUR
    #[arg(long, value_name = "DUR", help_heading = "Success")]
    pub slow: Option<Dur>,

    /// The final response must have header NAME with a value matching REGEX; repeatable
    ///
    /// An empty REGEX ('NAME:') only asks that the header is there. Names
    /// are case-insensitive; any one of a repeated header's values may match.
    #[arg(long, value_name = "'NAME: REGEX'", help_heading = "Success")]
    pub expect_header: Vec<String>,

    /// The body must be JSON for which FILTER (jq) yields only true-ish values; repeatable
    ///
    /// At least one output, none `false` or `null`: --expect-jq '.status ==
    /// "UP"'. jq's language as the jaq crates run it. Strict JSON, nested at
    /// most 128 deep; the first 1,000 outputs are looked at. A filter that
    /// does not compile is a usage error.
    #[arg(long, value_name = "FILTER", help_heading = "Success")]
    pub expect_jq: Vec<String>,

    /// An https final response's certificate must be valid now and for DUR more
    ///
    /// DUR like 14d or 720h. Only the leaf certificate counts; http passes.
    #[arg(long, value_name = "DUR", help_heading = "Success")]
    pub cert_valid: Option<Dur>,
}

/// Records, the summary and logs.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Write records in input order (default: as they finish)
    #[arg(long, help_heading = "Output")]
    pub ordered: bool,

    /// Add the response body to each record
    #[arg(long, help_heading = "Output")]
    pub body: bool,

    /// Add `timings` (dns, connect, ttfb, download; reused) of the final hop
    #[arg(long, help_heading = "Output")]
    pub timings: bool,

    /// Add `tls`: the leaf certificate of an https final response
    #[arg(long, help_heading = "Output")]
    pub tls_info: bool,

    /// Add `headers`: response header NAME (case-insensitive, * = all); repeatable
    #[arg(long, value_name = "NAME", help_heading = "Output")]
    pub response_header: Vec<String>,

    /// Most body bytes read per response; more is error `too_large`
    ///
    /// SIZE is bytes, or with KB/MB/GB (powers of 1000) or KiB/MiB/GiB;
    /// 0 = no limit (not with --body, --expect or --expect-jq, which hold the
    /// body).
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

    /// Add one row per host to the summary and --stats: requests, ok, 429/503, retries,
    /// latency, adaptive limit
    #[arg(long, help_heading = "Output")]
    pub host_stats: bool,

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

/// CI verdicts: reports, and stopping early.
#[derive(Debug, Args)]
pub struct VerdictArgs {
    /// When the run ends, write a report: junit=FILE or markdown=FILE; repeatable
    ///
    /// junit: JUnit XML for GitLab, Jenkins and GitHub test reporters, one
    /// test case per record. markdown: a summary and the first 100 failed
    /// URLs, to append to $GITHUB_STEP_SUMMARY. FILE is replaced whole
    /// (written aside, then renamed), also when the run is interrupted.
    #[arg(
        long = "report",
        value_name = "FORMAT=FILE",
        help_heading = "CI verdicts"
    )]
    pub reports: Vec<ReportSpec>,

    /// Stop once N records are final and not ok (cancelled ones aside); 0 = never
    ///
    /// Like --deadline: nothing new starts, requests in flight end as
    /// `cancelled`, and the exit status is 1.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0,
        help_heading = "CI verdicts"
    )]
    pub max_failures: u64,

    /// Stop at the first failure: --max-failures 1
    #[arg(long, conflicts_with = "max_failures", help_heading = "CI verdicts")]
    pub fail_fast: bool,
}

/// Saving bodies to files.
#[derive(Debug, Args)]
pub struct SaveArgs {
    /// Save the body of every ok URL to a file under DIR (created if missing)
    ///
    /// Bodies are written aside and renamed into place only when the URL is
    /// ok; records gain "saved_to". Existing files are replaced.
    #[arg(
        short = 'o',
        long = "output-dir",
        value_name = "DIR",
        help_heading = "Saving"
    )]
    pub output_dir: Option<PathBuf>,

    /// File names under --output-dir
    ///
    /// Placeholders: {host} (with _PORT when not the default), {path} (the
    /// URL path; / gives index.html; the query after @), {name} (the last
    /// path segment), {index}, {hash} (16 hex digits of the URL's hash).
    #[arg(long, value_name = "TEMPLATE", default_value = crate::save::DEFAULT_TEMPLATE, help_heading = "Saving")]
    pub output_name: crate::save::Template,
}
