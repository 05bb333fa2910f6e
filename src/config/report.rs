//! `--report FORMAT=FILE`: which reports a run writes, and where.

use std::path::PathBuf;

/// One `--report FORMAT=FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSpec {
    /// What kind of report.
    pub format: ReportFormat,
    /// Where it goes; replaced when the run ends.
    pub path: PathBuf,
}

/// The formats of `--report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// JUnit XML, for CI test reporters.
    Junit,
    /// Markdown tables, for `$GITHUB_STEP_SUMMARY`.
    Markdown,
}

impl ReportFormat {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ReportFormat::Junit => "junit",
            ReportFormat::Markdown => "markdown",
        }
    }
}

impl std::fmt::Display for ReportSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.format.name(), self.path.display())
    }
}

impl std::str::FromStr for ReportSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (format, path) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}` is not FORMAT=FILE (like junit=report.xml)"))?;
        let format = match format.to_ascii_lowercase().as_str() {
            "junit" => ReportFormat::Junit,
            "markdown" | "md" => ReportFormat::Markdown,
            _ => {
                return Err(format!(
                    "unknown report format `{format}`; use junit or markdown"
                ));
            }
        };
        if path.is_empty() {
            return Err(format!("`{s}` names no FILE"));
        }
        Ok(ReportSpec {
            format,
            path: PathBuf::from(path),
        })
    }
}
