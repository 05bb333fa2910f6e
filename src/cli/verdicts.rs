//! The "CI verdicts" group: reports written when the run ends, and
//! stopping early. Resolved into [`Config::verdicts`](crate::Config::verdicts).

use std::num::NonZeroU64;

use anyhow::Context;
use clap::Args;

use super::parse;
use crate::config::{ReportSpec, Verdicts};

/// `--help` heading "CI verdicts": reports, and stopping early.
#[derive(Debug, Args)]
pub struct VerdictArgs {
    /// When the run ends, write a report: junit=FILE or markdown=FILE; repeatable
    ///
    /// junit: JUnit XML for GitLab, Jenkins and GitHub test reporters, one
    /// test case per record. markdown: a summary and the first 100 failed
    /// URLs, to append to $GITHUB_STEP_SUMMARY. FILE is replaced whole
    /// (written aside, then renamed), also when the run is interrupted.
    #[arg(long = "report", value_name = "FORMAT=FILE")]
    pub reports: Vec<ReportSpec>,

    /// Stop once N records are final and not ok (cancelled ones aside); 0 = never
    ///
    /// Like --deadline: nothing new starts, requests in flight end as
    /// `cancelled`, and the exit status is 1.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = parse::max_failures, allow_negative_numbers = true)]
    pub max_failures: u64,

    /// Stop at the first failure: --max-failures 1
    #[arg(long, conflicts_with = "max_failures")]
    pub fail_fast: bool,
}

impl VerdictArgs {
    /// The verdicts; every report's FILE is checked to be writable
    /// (`files::check_writable`) before any request.
    pub(super) fn resolve(self) -> anyhow::Result<Verdicts> {
        for spec in &self.reports {
            crate::files::check_writable(&spec.path)
                .with_context(|| format!("cannot write --report {spec}"))?;
        }
        let max_failures = if self.fail_fast { 1 } else { self.max_failures };
        Ok(Verdicts {
            reports: self.reports,
            max_failures: NonZeroU64::new(max_failures),
        })
    }
}
