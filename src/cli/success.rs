//! The "Success" group: what makes a URL ok (`--accept` and the checks
//! after it), resolved into [`Config::success`](crate::Config::success):
//! regexes and jq filters compiled, so a bad one is a usage error.

use clap::Args;

use super::parse;
use crate::check::{ExpectHeader, JqFilter};
use crate::config::{DEFAULT_ACCEPT, Success};
use crate::values::{Dur, StatusSet};

/// `--help` heading "Success": what makes a URL ok.
#[derive(Debug, Args)]
pub struct SuccessArgs {
    /// Final statuses that count as success (codes and ranges)
    #[arg(long, value_name = "LIST", default_value = DEFAULT_ACCEPT)]
    pub accept: StatusSet,

    /// Final statuses that count as success for a response from HOST, instead of --accept;
    /// repeatable
    ///
    /// HOST is the host that answered (after redirects), any port: --accept-for github.com
    /// 200,429 for a site that answers bots with 429.
    #[arg(long, num_args = 2, value_names = ["HOST", "LIST"], action = clap::ArgAction::Append)]
    pub accept_for: Vec<String>,

    /// The body (up to --max-body) must match REGEX
    #[arg(long, value_name = "REGEX")]
    pub expect: Option<String>,

    /// The URL must finish (`elapsed_ms`, retries included) within DUR
    #[arg(long, value_name = "DUR", value_parser = parse::duration, allow_hyphen_values = true)]
    pub slow: Option<Dur>,

    /// The final response must have header NAME with a value matching REGEX; repeatable
    ///
    /// An empty REGEX ('NAME:') only asks that the header is there. Names
    /// are case-insensitive; any one of a repeated header's values may match.
    #[arg(long, value_name = "'NAME: REGEX'")]
    pub expect_header: Vec<String>,

    /// The body must be JSON for which FILTER (jq) yields only true-ish values; repeatable
    ///
    /// At least one output, none `false` or `null`: --expect-jq '.status ==
    /// "UP"'. jq's language as the jaq crates run it. Strict JSON, nested at
    /// most 128 deep; the first 1,000 outputs are looked at. A filter that
    /// does not compile is a usage error.
    #[arg(long, value_name = "FILTER")]
    pub expect_jq: Vec<String>,

    /// An https final response's certificate must be valid now and for DUR more
    ///
    /// DUR like 14d or 720h. Only the leaf certificate counts; http passes.
    #[arg(long, value_name = "DUR", value_parser = parse::duration, allow_hyphen_values = true)]
    pub cert_valid: Option<Dur>,
}

impl SuccessArgs {
    /// The success rule, with every regex and filter compiled.
    pub(super) fn resolve(self) -> anyhow::Result<Success> {
        Ok(Success {
            accept: self.accept,
            accept_for: super::routing::host_rules(&self.accept_for, "--accept-for", str::parse)?,
            expect: self.expect.as_deref().map(expect).transpose()?,
            slow: self.slow.map(|d| d.0),
            expect_headers: self
                .expect_header
                .iter()
                .map(|h| ExpectHeader::parse(h))
                .collect::<Result<_, _>>()
                .map_err(anyhow::Error::msg)?,
            expect_jq: self
                .expect_jq
                .iter()
                .map(|f| {
                    JqFilter::compile(f)
                        .map_err(|e| anyhow::anyhow!("--expect-jq `{f}` does not compile: {e}"))
                })
                .collect::<Result<_, _>>()?,
            cert_valid: self.cert_valid.map(|d| d.0),
        })
    }
}

/// `--expect REGEX`.
fn expect(re: &str) -> anyhow::Result<regex::bytes::Regex> {
    regex::bytes::Regex::new(re)
        .map_err(|e| anyhow::anyhow!("invalid --expect regex `{re}`: {}", regex_reason(re, &e)))
}

/// Why `re` is not a regex, in one line with the position: the regex crate's
/// message spans several lines (pattern, caret, reason), and its first line
/// says nothing. regex-syntax, which the regex crate parses with, gives the
/// reason and the span as data.
fn regex_reason(re: &str, e: &regex::Error) -> String {
    use regex_syntax::ast::parse::Parser;
    use regex_syntax::hir::translate::TranslatorBuilder;
    let at = |offset: usize| re.get(..offset).map_or(offset, |s| s.chars().count());
    let ast = match Parser::new().parse(re) {
        Ok(ast) => ast,
        Err(e) => return format!("{} at position {}", e.kind(), at(e.span().start.offset)),
    };
    // The byte regex allows what is not UTF-8, as --expect does.
    match TranslatorBuilder::new()
        .utf8(false)
        .build()
        .translate(re, &ast)
    {
        Err(e) => format!("{} at position {}", e.kind(), at(e.span().start.offset)),
        // Not a syntax error (a size limit): its message has no caret.
        Ok(_) => e
            .to_string()
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" "),
    }
}
