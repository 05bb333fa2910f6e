//! The "Saving bodies" group: `-o DIR` and `--output-name`, resolved into
//! [`Config::save`](crate::Config::save). The directory is created and
//! tried now, so a bad one is a usage error before any request.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::save::{SaveSpec, Template};

/// `--help` heading "Saving bodies".
#[derive(Debug, Args)]
pub struct SaveArgs {
    /// Save the body of every ok URL to a file under DIR (created if missing)
    ///
    /// Bodies are written aside and renamed into place only when the URL is
    /// ok; records gain "saved_to". Existing files are replaced.
    #[arg(short = 'o', long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<PathBuf>,

    /// File names under --output-dir
    ///
    /// Placeholders: {host} (with _PORT when not the default), {path} (the
    /// URL path; / gives index.html; the query after @), {name} (the last
    /// path segment), {index}, {hash} (16 hex digits of the URL's hash).
    #[arg(long, value_name = "TEMPLATE", default_value = crate::save::DEFAULT_TEMPLATE)]
    pub output_name: Template,
}

impl SaveArgs {
    /// Where bodies are saved, with the directory created and writable.
    pub(super) fn resolve(self) -> anyhow::Result<Option<SaveSpec>> {
        let Some(dir) = self.output_dir else {
            return Ok(None);
        };
        crate::save::prepare_dir(&dir)
            .with_context(|| format!("cannot create or write in --output-dir {}", dir.display()))?;
        Ok(Some(SaveSpec {
            dir,
            template: self.output_name,
        }))
    }
}
