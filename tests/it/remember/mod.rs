//! Runs that remember (`--timestamps`, `--hash`, `--skip-ok`,
//! `--revalidate`, `--baseline`, `--fail-on`): one test per sentence of
//! the contract's section, against [`Pages`], a server on 127.0.0.1 whose
//! pages the test changes between runs, answering ETag and Last-Modified
//! and counting the conditional requests it gets.

mod baseline;
mod hash;
mod revalidate;
mod skip_ok;

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::Value;

use crate::support::*;

/// One page of [`Pages`]: what it answers now.
#[derive(Clone, Debug)]
pub struct Page {
    pub status: u16,
    pub body: Vec<u8>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Whether a 304 repeats the validators (CDNs often drop them).
    pub validators_on_304: bool,
}

impl Page {
    pub fn ok(body: &str) -> Page {
        Page {
            status: 200,
            body: body.as_bytes().to_vec(),
            etag: None,
            last_modified: None,
            validators_on_304: true,
        }
    }

    pub fn status(status: u16) -> Page {
        Page {
            status,
            ..Page::ok(&format!("status {status}"))
        }
    }

    pub fn etag(mut self, etag: &str) -> Page {
        self.etag = Some(etag.into());
        self
    }

    pub fn last_modified(mut self, date: &str) -> Page {
        self.last_modified = Some(date.into());
        self
    }

    pub fn bare_304(mut self) -> Page {
        self.validators_on_304 = false;
        self
    }
}

/// A request as [`Pages`] saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    /// It was answered 304.
    pub not_modified: bool,
}

#[derive(Default)]
struct Site {
    pages: HashMap<String, Page>,
    seen: Vec<Seen>,
}

/// The server: `/p/NAME` answers the page set for NAME (404 when none),
/// 304 to a matching `If-None-Match` (preferred) or `If-Modified-Since`;
/// `/hang` never answers.
pub struct Pages {
    server: AppServer,
    site: Arc<Mutex<Site>>,
}

impl Pages {
    pub fn start() -> Pages {
        let site = Arc::new(Mutex::new(Site::default()));
        let app = Router::new()
            .route("/p/{name}", any(page))
            .route("/hang", any(std::future::pending::<&'static str>))
            .with_state(site.clone());
        Pages {
            server: AppServer::start(app),
            site,
        }
    }

    pub fn url(&self, name: &str) -> String {
        self.server.url(&format!("/p/{name}"))
    }

    pub fn hang_url(&self) -> String {
        self.server.url("/hang")
    }

    pub fn set(&self, name: &str, page: Page) {
        self.site.lock().unwrap().pages.insert(name.into(), page);
    }

    /// Requests so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.site.lock().unwrap().seen.clone()
    }

    /// Requests for `name` so far.
    pub fn hits(&self, name: &str) -> Vec<Seen> {
        let path = format!("/p/{name}");
        self.seen().into_iter().filter(|s| s.path == path).collect()
    }

    /// Conditional requests so far.
    pub fn conditional(&self) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.if_none_match.is_some() || s.if_modified_since.is_some())
            .count()
    }
}

async fn page(
    State(site): State<Arc<Mutex<Site>>>,
    UrlPath(name): UrlPath<String>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let text = |h: header::HeaderName| {
        headers
            .get(h)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let (inm, ims) = (text(header::IF_NONE_MATCH), text(header::IF_MODIFIED_SINCE));
    let mut site = site.lock().unwrap();
    let page = site.pages.get(&name).cloned();
    // RFC 9110 §13.1: If-None-Match wins; If-Modified-Since only without it.
    let matches = page.as_ref().is_some_and(|p| match (&inm, &ims) {
        (Some(inm), _) => p.etag.as_ref() == Some(inm),
        (None, Some(ims)) => p.last_modified.as_ref() == Some(ims),
        _ => false,
    });
    site.seen.push(Seen {
        path: format!("/p/{name}"),
        if_none_match: inm,
        if_modified_since: ims,
        not_modified: matches,
    });
    drop(site);
    let Some(page) = page else {
        return (StatusCode::NOT_FOUND, "no such page").into_response();
    };
    let mut h = HeaderMap::new();
    if !matches || page.validators_on_304 {
        if let Some(e) = &page.etag {
            h.insert(header::ETAG, HeaderValue::from_str(e).unwrap());
        }
        if let Some(d) = &page.last_modified {
            h.insert(header::LAST_MODIFIED, HeaderValue::from_str(d).unwrap());
        }
    }
    if matches {
        return (StatusCode::NOT_MODIFIED, h).into_response();
    }
    let status = StatusCode::from_u16(page.status).unwrap();
    let body = if method == Method::HEAD {
        Vec::new()
    } else {
        page.body
    };
    (status, h, body).into_response()
}

/// Runs fanout with stdout appended to `file` (`fanout ARGS >> FILE`), and
/// returns the exit status, the records this run added (checked like any
/// run's) and stderr.
pub fn append_run(args: &[&str], file: &Path) -> (Option<i32>, Vec<Value>, String) {
    let before = std::fs::read(file).map(|b| b.len()).unwrap_or(0);
    let out = File::options()
        .create(true)
        .append(true)
        .open(file)
        .unwrap();
    let done = fanout_std()
        .env("NO_COLOR", "1")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(out)
        .output()
        .expect("run fanout");
    let all = std::fs::read(file).unwrap();
    let added = records(&all[before..]);
    let asked = asked_keys(args.iter().map(std::ffi::OsStr::new));
    for r in &added {
        check_optional_keys(r, &asked, &r.to_string());
    }
    let stderr = String::from_utf8(done.stderr).unwrap();
    (done.status.code(), added, stderr)
}

/// The record of `url` among `records`.
pub fn of<'a>(records: &'a [Value], url: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["url"] == url)
        .unwrap_or_else(|| panic!("no record of {url} in {records:?}"))
}

/// Lowercase hex SHA-256, computed independently of fanout's.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A file of earlier records, written by the test.
pub fn records_file(dir: &Path, name: &str, lines: &[String]) -> String {
    let path = dir.join(name);
    std::fs::write(
        &path,
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
    path.to_str().unwrap().to_owned()
}

/// A minimal earlier record.
pub fn earlier(url: &str, ok: bool, status: u16, extra: &str) -> String {
    let error = match ok {
        true => "null".to_owned(),
        false => r#"{"kind":"status","message":"m"}"#.to_owned(),
    };
    format!(r#"{{"url":"{url}","ok":{ok},"status":{status},"error":{error}{extra}}}"#)
}
