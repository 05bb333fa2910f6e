//! The "Output" group: records on stdout, the summary, the progress line
//! and logs on stderr, and `--generate`. Resolved into
//! [`Config::output`](crate::Config::output) and the end-of-run
//! [`Finish`]; `-v` and `--generate` are read by the binary before that.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use super::Generate;
use crate::config::OutputSpec;
use crate::exit::Finish;
use crate::output::Format;

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

/// `--help` heading "Output": records, the summary and logs.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Write records in input order (default: as they finish)
    #[arg(long)]
    pub ordered: bool,

    /// Add the response body to each record
    #[arg(long)]
    pub body: bool,

    /// Record format [auto: text on a terminal, else jsonl]
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = FormatArg::Auto)]
    pub format: FormatArg,

    /// Colour the text format [auto: on a terminal, unless NO_COLOR is set]
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorArg::Auto)]
    pub color: ColorArg,

    /// Don't draw the progress line on stderr
    #[arg(long)]
    pub no_progress: bool,

    /// No summary and no progress line on stderr
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Add one row per host to the summary and --stats: requests, ok, 429/503, retries,
    /// latency, adaptive limit
    #[arg(long)]
    pub host_stats: bool,

    /// Write the end-of-run summary to FILE as one JSON object
    #[arg(long, value_name = "FILE")]
    pub stats: Option<PathBuf>,

    /// Print a shell completion script or the man page, then exit
    #[arg(long, value_enum, value_name = "WHAT")]
    pub generate: Option<Generate>,

    /// More logging on stderr (-v info, -vv debug); RUST_LOG overrides
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl OutputArgs {
    /// How records are written, and what is printed and written at the
    /// end. `--stats FILE` is checked to be writable now, so a bad path is
    /// a usage error before any request; it is written at the end.
    pub(super) fn resolve(self) -> anyhow::Result<(OutputSpec, Finish)> {
        let stdout_tty = std::io::stdout().is_terminal();
        let stats = match self.stats {
            Some(path) => match crate::files::check_writable(&path) {
                Ok(()) => Some(path),
                Err(e) => bail!("cannot write --stats {}: {e}", path.display()),
            },
            None => None,
        };
        let output = OutputSpec {
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
            flush_each_record: stdout_tty,
            ordered: self.ordered,
            keep_body: self.body,
            host_stats: self.host_stats,
        };
        let finish = Finish {
            quiet: self.quiet,
            stats,
        };
        Ok((output, finish))
    }
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
