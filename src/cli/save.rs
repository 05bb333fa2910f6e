//! The "Saving bodies" group: `-o DIR` and `--output-name`, resolved into
//! [`Config::save`](crate::Config::save). The directory is created and
//! tried now, so a bad one is a usage error before any request; so is a
//! DIR that looks like a results file (`-o results.jsonl`, curl's and
//! httpx's habit), which would otherwise become a directory of bodies.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;

use crate::save::{SaveSpec, Template};

/// Names that are results files, not directories: records go to stdout.
const RESULT_EXTENSIONS: [&str; 6] = ["jsonl", "json", "csv", "txt", "xml", "md"];

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
        check_dir(&dir)?;
        crate::save::prepare_dir(&dir)
            .with_context(|| format!("cannot create or write in --output-dir {}", dir.display()))?;
        Ok(Some(SaveSpec {
            dir,
            template: self.output_name,
        }))
    }
}

/// `-o` takes a directory: not an existing file, and not a name that can
/// only mean the results file.
fn check_dir(dir: &Path) -> anyhow::Result<()> {
    const RECORDS: &str = "-o takes a directory for bodies; records go to stdout (> FILE)";
    let shown = dir.display();
    match std::fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => {
            bail!("-o {shown} is a file, not a directory; {RECORDS}")
        }
        Ok(_) => Ok(()),
        Err(_) if looks_like_results(dir) => {
            bail!("-o {shown} looks like a results file; {RECORDS}")
        }
        Err(_) => Ok(()),
    }
}

fn looks_like_results(dir: &Path) -> bool {
    dir.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| RESULT_EXTENSIONS.iter().any(|r| e.eq_ignore_ascii_case(r)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_file_names_and_files_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        for name in [
            "results.jsonl",
            "out.JSON",
            "r.csv",
            "urls.txt",
            "r.xml",
            "s.md",
        ] {
            let e = check_dir(&tmp.path().join(name)).unwrap_err().to_string();
            assert!(e.contains("> FILE"), "{name}: {e}");
        }
        for name in ["bodies", "mirror.d", "v1.2"] {
            assert!(check_dir(&tmp.path().join(name)).is_ok(), "{name}");
        }
        // An existing directory may have any name.
        let dir = tmp.path().join("site.json");
        std::fs::create_dir(&dir).unwrap();
        assert!(check_dir(&dir).is_ok());
        let file = tmp.path().join("bodies");
        std::fs::write(&file, "x").unwrap();
        let e = check_dir(&file).unwrap_err().to_string();
        assert!(e.contains("is a file"), "{e}");
    }
}
