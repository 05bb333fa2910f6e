//! The "Runs that remember" group of a [`Config`](super::Config), and the
//! rule of `--fail-on`.

use crate::record::Record;

/// Runs that remember: record fields for the next run, and what this run
/// takes from earlier ones. `--skip-ok` and `--skip-done` are input
/// filters (`input`), not here.
#[derive(Debug, Clone, Default)]
pub struct Remember {
    /// `started_at` in every record (`--timestamps`, `--skip-ok`).
    pub timestamps: bool,
    /// `sha256` in every record (`--hash`).
    pub hash: bool,
    /// `--revalidate FILE`: conditional requests from these records.
    pub revalidate: Option<std::sync::Arc<crate::input::Earlier>>,
    /// `--baseline FILE`: `change` against these records.
    pub baseline: Option<std::sync::Arc<crate::input::Earlier>>,
    /// `--fail-on`: which failures fail the run.
    pub fail_on: FailOn,
}

/// `--fail-on`: which records that are not `ok` make the exit status 1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FailOn {
    /// Any record that is not `ok`.
    #[default]
    Any,
    /// Only those whose `change` is `new_failure` or `new_url`.
    New,
}

impl FailOn {
    /// Whether `record` fails the run (and counts for `--max-failures`,
    /// which leaves cancelled records aside): the one rule both ask. With
    /// `New`, a cancelled record (`change` null) never does.
    pub fn fails(self, record: &Record) -> bool {
        match self {
            FailOn::Any => !record.ok,
            FailOn::New => !record.ok && matches!(record.change, Some(Some(c)) if c.is_new()),
        }
    }
}
