//! The command line, as the user typed it.
//!
//! One clap struct per group of flags, each in its own file with its
//! resolver, and each group one `--help` heading and one [`Config`] group:
//!
//! | file | struct | heading | resolves into |
//! |---|---|---|---|
//! | `input.rs` | [`InputArgs`] | Input | [`Input`] |
//! | `limits.rs` | [`LimitsArgs`] | Limits | [`Config::limits`] |
//! | `retry.rs` | [`RetryArgs`] | Retries | [`Config::retry`] |
//! | `protection.rs` | [`ProtectionArgs`] | Protection | [`Config::protection`] |
//! | `request.rs` | [`RequestArgs`] | Request | [`Config::request`] |
//! | `success.rs` | [`SuccessArgs`] | Success | [`Config::success`] |
//! | `inspect.rs` | [`InspectArgs`] | What answered | [`Config::inspect`] |
//! | `output.rs` | [`OutputArgs`] | Output | [`Config::output`], [`Finish`] |
//! | `verdicts.rs` | [`VerdictArgs`] | CI verdicts | [`Config::verdicts`] |
//! | `save.rs` | [`SaveArgs`] | Saving bodies | [`Config::save`] |
//! | `remember.rs` | [`RememberArgs`] | Runs that remember | [`Config::remember`], the input's skips |
//!
//! [`Cli::into_config`] calls each group's `resolve` and returns a finished
//! [`Config`] (`-c` already fitted to the open-file limit), the [`Input`]
//! and the [`Finish`]; the rest of the crate never sees clap. Each flag's
//! doc comment is its help text; defaults come from the library's constants
//! so help and behaviour agree. `parse.rs` holds the value parsers the
//! groups share, `routing.rs` the request's file readers and host checks,
//! `habits.rs` the answers to curl's flags.

mod habits;
mod input;
mod inspect;
mod limits;
mod output;
mod parse;
mod protection;
mod reference;
mod remember;
mod request;
mod retry;
mod routing;
mod save;
mod success;
mod verdicts;

use anyhow::bail;
use clap::Parser;

use crate::config::Config;
use crate::exit::Finish;
use crate::input::Input;

pub use self::habits::{habit, habit_hint};
pub use self::input::InputArgs;
pub use self::inspect::InspectArgs;
pub use self::limits::LimitsArgs;
pub use self::output::{ColorArg, FormatArg, OutputArgs, use_color};
pub use self::protection::ProtectionArgs;
pub use self::remember::{FailOnArg, RememberArgs};
pub use self::request::{InputFormat, RequestArgs};
pub use self::retry::RetryArgs;
pub use self::save::SaveArgs;
pub use self::success::SuccessArgs;
pub use self::verdicts::VerdictArgs;

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
#[allow(missing_docs)]
pub struct Cli {
    /// URLs to fetch
    #[arg(value_name = "URL")]
    pub urls: Vec<String>,

    #[command(flatten, next_help_heading = "Input")]
    pub input: InputArgs,

    #[command(flatten, next_help_heading = "Limits")]
    pub limits: LimitsArgs,

    #[command(flatten, next_help_heading = "Retries")]
    pub retry: RetryArgs,

    #[command(flatten, next_help_heading = "Protection")]
    pub protection: ProtectionArgs,

    #[command(flatten, next_help_heading = "Request")]
    pub request: RequestArgs,

    #[command(flatten, next_help_heading = "Success")]
    pub success: SuccessArgs,

    #[command(flatten, next_help_heading = "What answered")]
    pub inspect: InspectArgs,

    #[command(flatten, next_help_heading = "Output")]
    pub output: OutputArgs,

    #[command(flatten, next_help_heading = "CI verdicts")]
    pub verdicts: VerdictArgs,

    #[command(flatten, next_help_heading = "Saving bodies")]
    pub save: SaveArgs,

    #[command(flatten, next_help_heading = "Runs that remember")]
    pub remember: RememberArgs,
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
    /// The flag reference in Markdown (docs/reference.md).
    Reference,
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
        Generate::Reference => return reference::write(cmd, out),
    };
    // clap_complete panics when a write fails (`| head`): it writes into
    // memory here, and the one write that can fail is ours.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "fanout", &mut script);
    out.write_all(&script)
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
    /// Validates and resolves the command line, one group at a time. Every
    /// error is a usage error (exit status 2) with a one-line message, and
    /// comes before any request: files named are opened or created now.
    pub fn into_config(self) -> anyhow::Result<Parsed> {
        let limits = self.limits.resolve()?;
        let retry = self.retry.resolve();
        let success = self.success.resolve()?;
        let inspect = self.inspect.resolve()?;
        let protection = self.protection.resolve()?;
        let request = self.request.resolve()?;
        let (output, finish) = self.output.resolve()?;
        let verdicts = self.verdicts.resolve()?;
        let save = self.save.resolve()?;
        let (remember, skips) = self.remember.resolve(self.input.skip_done.as_deref())?;
        let input = self.input.resolve(self.urls, request.per_line, skips)?;
        let config = Config {
            // Last, with the input files open, so they count.
            limits: limits::fit_open_files(limits),
            retry,
            success,
            inspect,
            protection,
            request,
            output,
            verdicts,
            save,
            remember,
        };
        // --max-body 0 means no limit, for bodies streamed to disk (-o) or
        // only counted; a body held in memory must stay bounded.
        if config.request.max_body == u64::MAX && config.needs().body {
            bail!(
                "--max-body 0 (no limit) cannot be used with --body, --expect or \
                 --expect-jq, which hold the body in memory; give a size"
            );
        }
        Ok(Parsed {
            config,
            input,
            finish,
        })
    }
}

#[cfg(test)]
mod tests;
