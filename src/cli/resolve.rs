//! Turning what the user typed into the library's validated types: the
//! request (method, headers, body, certificates, proxy), the `--expect`
//! regex, the `--request-id` header name, and the input sources. Every
//! error is one line that names the flag.

use anyhow::{Context, bail};
use reqwest::Method;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};

use super::args::{InputArgs, RequestArgs};
use super::outputs::{SaveArgs, VerdictArgs};
use crate::config::{RequestSpec, Verdicts};
use crate::exit::NO_URLS;
use crate::fetch::redact_str;
use crate::input::{Input, load_done};
use crate::save::SaveSpec;

/// The request settings, fully validated.
pub(super) fn request(q: RequestArgs, max_body: u64) -> anyhow::Result<RequestSpec> {
    // -d @FILE drops CR and LF, as curl does; --data-binary sends bytes as
    // they are.
    let (data, strip_newlines) = match (&q.data, &q.data_binary) {
        (Some(d), _) => (Some(d), true),
        (None, d) => (d.as_ref(), false),
    };
    let method = match (&q.method, data) {
        (Some(m), _) => Method::from_bytes(m.to_ascii_uppercase().as_bytes())
            .map_err(|_| anyhow::anyhow!("invalid -X method `{m}`; use e.g. -X HEAD or -X POST"))?,
        (None, Some(_)) => Method::POST,
        (None, None) => Method::GET,
    };

    let mut headers = HeaderMap::new();
    let ua = HeaderValue::from_str(&q.user_agent)
        .map_err(|_| anyhow::anyhow!("invalid user agent `{}`", q.user_agent))?;
    headers.insert(header::USER_AGENT, ua);
    for h in &q.headers {
        let (name, value) = parse_header(h, "-H")?;
        // -H replaces -A's User-Agent; other names may repeat.
        if name == header::USER_AGENT {
            headers.insert(name, value);
        } else {
            headers.append(name, value);
        }
    }

    let flag = if strip_newlines {
        "-d"
    } else {
        "--data-binary"
    };
    let body = match data {
        None => None,
        Some(d) => match d.strip_prefix('@') {
            Some(path) => {
                let mut bytes =
                    std::fs::read(path).with_context(|| format!("cannot read {flag} @{path}"))?;
                if strip_newlines {
                    bytes.retain(|b| !matches!(b, b'\r' | b'\n'));
                }
                Some(bytes)
            }
            None => Some(d.clone().into_bytes()),
        },
    };
    if body.is_some() && !headers.contains_key(header::CONTENT_TYPE) {
        // As curl does for -d.
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
    }

    let cacerts = match &q.cacert {
        Some(p) => {
            let pem = std::fs::read(p)
                .with_context(|| format!("cannot read --cacert {}", p.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .context("--cacert: not a PEM certificate file")?;
            if certs.is_empty() {
                bail!("--cacert: no certificate found in the file");
            }
            certs
        }
        None => Vec::new(),
    };
    // reqwest's reason ("builder error: builder error: relative URL without
    // a base") says nothing a user can act on; an example does.
    let proxy = match &q.proxy {
        Some(proxy) => Some(reqwest::Proxy::all(proxy.as_str()).map_err(|_| {
            anyhow::anyhow!(
                "invalid --proxy URL `{}`; use e.g. http://proxy.example:3128 or socks5h://127.0.0.1:1080",
                redact_str(proxy)
            )
        })?),
        None => None,
    };

    Ok(RequestSpec {
        method,
        headers,
        body: body.map(Into::into),
        max_redirects: q.max_redirects,
        max_body,
        insecure: q.insecure,
        cacerts,
        proxy,
        http1_only: q.http1_1,
        method_given: q.method.is_some(),
        ..RequestSpec::default()
    })
}

/// `-o DIR` and `--output-name`: the directory is created now, and must
/// take files.
pub(super) fn save(a: SaveArgs) -> anyhow::Result<Option<SaveSpec>> {
    let Some(dir) = a.output_dir else {
        return Ok(None);
    };
    crate::save::prepare_dir(&dir)
        .with_context(|| format!("cannot create or write in --output-dir {}", dir.display()))?;
    Ok(Some(SaveSpec {
        dir,
        template: a.output_name,
    }))
}

/// `--expect REGEX`.
pub(super) fn expect(re: &str) -> anyhow::Result<regex::bytes::Regex> {
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

/// `--request-id NAME`.
pub(super) fn request_id(name: &str) -> anyhow::Result<HeaderName> {
    HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
        anyhow::anyhow!("invalid --request-id header name `{name}`; use e.g. X-Request-Id")
    })
}

/// The input sources and filters, in the documented order: arguments,
/// then each `-i`, then stdin when neither is given.
pub(super) fn input(urls: Vec<String>, i: InputArgs, jsonl: bool) -> anyhow::Result<Input> {
    use std::io::IsTerminal;
    let mut input = Input::new();
    if jsonl {
        input.jsonl();
    }
    if let Some(shard) = i.shard {
        input.shard(shard);
    }
    if i.dedup {
        input.dedup();
    }
    if let Some(path) = &i.skip_done {
        let file = std::fs::File::open(path)
            .with_context(|| format!("cannot read --skip-done {}", path.display()))?;
        let done = load_done(std::io::BufReader::new(file))
            .with_context(|| format!("cannot read --skip-done {}", path.display()))?;
        warn_unreadable(path, &done.unreadable, done.lines);
        input.skip_done(done.hashes);
    }
    let from_args = !urls.is_empty();
    input.push_lines(urls);
    for path in &i.inputs {
        if path.as_os_str() == "-" {
            input.push_stdin();
        } else {
            input
                .push_file(path)
                .with_context(|| format!("cannot open input file {}", path.display()))?;
        }
    }
    if !from_args && i.inputs.is_empty() {
        if std::io::stdin().is_terminal() {
            bail!(NO_URLS);
        }
        input.push_stdin();
    }
    Ok(input)
}

/// Tells the user about lines of a `--skip-done` file that are not records;
/// a torn last line is what a crash mid-write leaves, so it is expected.
fn warn_unreadable(path: &std::path::Path, lines: &[u64], total: u64) {
    let Some(&first) = lines.first() else { return };
    let what = if lines.len() == 1 && first == total {
        format!("ignoring a torn last line (line {first})")
    } else {
        format!(
            "ignoring {} lines that are not records (first: line {first})",
            lines.len()
        )
    };
    crate::exit::say(&format!(
        "warning: --skip-done {}: {what}; those URLs will run again",
        path.display()
    ));
}

/// Parses `-H 'Name: value'`. Errors never quote the value: it may be a
/// credential (`Authorization`, `Cookie`), and a header with no colon may be
/// nothing but one.
pub(super) fn parse_header(h: &str, flag: &str) -> anyhow::Result<(HeaderName, HeaderValue)> {
    let Some((name, value)) = h.split_once(':') else {
        bail!("invalid {flag} header (no `:`); write it as e.g. 'Accept: text/html'");
    };
    let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
        anyhow::anyhow!(
            "invalid {flag} header name `{}`; write it as e.g. 'Accept: text/html'",
            name.trim()
        )
    })?;
    let value = HeaderValue::from_str(value.trim()).map_err(|_| {
        anyhow::anyhow!(
            "invalid {flag} value for header `{name}`; use printable text, e.g. 'Accept: text/html'"
        )
    })?;
    Ok((name, value))
}

/// `--report` and `--max-failures`; every report's FILE is checked to be
/// writable (`files::check_writable`) before any request.
pub(super) fn verdicts(v: VerdictArgs) -> anyhow::Result<Verdicts> {
    for spec in &v.reports {
        crate::files::check_writable(&spec.path)
            .with_context(|| format!("cannot write --report {spec}"))?;
    }
    let max_failures = if v.fail_fast { 1 } else { v.max_failures };
    Ok(Verdicts {
        reports: v.reports,
        max_failures: std::num::NonZeroU64::new(max_failures),
    })
}

/// The default of `--threads`: `FANOUT_THREADS` when set, else the CPUs
/// available.
pub(super) fn threads_from_env() -> anyhow::Result<std::num::NonZeroUsize> {
    use crate::config::{THREADS_ENV, available_threads};
    match std::env::var(THREADS_ENV) {
        Ok(v) if !v.trim().is_empty() => match v.trim().parse() {
            Ok(n) => Ok(n),
            Err(_) => anyhow::bail!("{THREADS_ENV}={v:?} must be a whole number of at least 1"),
        },
        _ => Ok(available_threads()),
    }
}
