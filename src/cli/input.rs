//! The "Input" group: where URLs come from and which are kept (`-i`,
//! `--shard`, `--skip-done`, `--dedup`; `--skip-ok` is in `remember.rs`). It resolves into the run's
//! [`Input`], not into a `Config` group: the input is consumed by the run,
//! the configuration only read.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;

use super::remember::Skips;
use crate::exit::NO_URLS;
use crate::input::{Input, Shard};

/// `--help` heading "Input": URL sources and filters.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Read URLs from FILE, one per line ("-" is stdin); repeatable
    ///
    /// Without URL arguments or -i, URLs are read from stdin when it is not a
    /// terminal.
    #[arg(short = 'i', long = "input", value_name = "FILE")]
    pub inputs: Vec<PathBuf>,

    /// Keep only part K of N of the input (1 <= K <= N)
    ///
    /// A line belongs to shard K when the FNV-1a 64-bit hash of the trimmed
    /// line, mod N, is K-1: N machines running 1/N ... N/N over the same list
    /// cover it exactly once. `index` stays the position in the whole input.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,

    /// Skip URLs that already have a final record in FILE (earlier output)
    ///
    /// Records with error kind `cancelled`, `circuit_open` or `save` are not
    /// final: those URLs run again. With `>> FILE` this resumes an interrupted run.
    #[arg(long, value_name = "FILE")]
    pub skip_done: Option<PathBuf>,

    /// Skip a URL already seen in this run (same trimmed line)
    #[arg(long)]
    pub dedup: bool,
}

impl InputArgs {
    /// The input sources and filters, in the documented order: the URL
    /// arguments, then each `-i`, then stdin when neither is given. `jsonl`:
    /// lines are `--input-format jsonl` request objects. `skips`: what
    /// `--skip-done` and `--skip-ok` read (`remember.rs` reads the files).
    pub(super) fn resolve(
        self,
        urls: Vec<String>,
        jsonl: bool,
        skips: Skips,
    ) -> anyhow::Result<Input> {
        use std::io::IsTerminal;
        let mut input = Input::new();
        if jsonl {
            input.jsonl();
        }
        if let Some(shard) = self.shard {
            input.shard(shard);
        }
        if self.dedup {
            input.dedup();
        }
        if let Some(done) = skips.done {
            input.skip_done(done);
        }
        if let Some(ok) = skips.ok {
            input.skip_ok(ok);
        }
        let from_args = !urls.is_empty();
        input.push_lines(urls);
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
        Ok(input)
    }
}
