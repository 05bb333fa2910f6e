//! What a record must look like: the documented keys in order, the
//! optional keys a run asked for, and `ok` exactly when `error` is null.

use std::ffi::OsStr;

use serde_json::Value;

/// The keys of a record, in the order the README documents.
pub const KEYS: [&str; 14] = [
    "index",
    "url",
    "final_url",
    "ok",
    "status",
    "attempts",
    "elapsed_ms",
    "ttfb_ms",
    "bytes",
    "content_type",
    "http_version",
    "remote_addr",
    "redirects",
    "error",
];

/// Optional record keys, each only with its flag, in this order.
pub const OPTIONAL: [&str; 12] = [
    "id",
    "request_id",
    "method",
    "timings",
    "tls",
    "headers",
    "started_at",
    "sha256",
    "saved_to",
    "change",
    "body",
    "body_encoding",
];

/// The optional keys a run with these arguments asks for: each must be in
/// every record of the run (`null` where it does not apply), no other may
/// be (`body_encoding` aside, which comes only with a binary body).
pub fn asked_keys<'a>(args: impl IntoIterator<Item = &'a OsStr>) -> Vec<&'static str> {
    let args: Vec<&str> = args.into_iter().filter_map(OsStr::to_str).collect();
    let mut asked = Vec::new();
    for (i, arg) in args.iter().enumerate() {
        let next = args.get(i + 1).copied();
        let key = match *arg {
            "--input-format" if next == Some("jsonl") => "id",
            "--input-format=jsonl" => "id",
            "--request-id" => "request_id",
            "-X" | "--method" if next.is_some_and(|m| m.contains(',')) => "method",
            m if m.starts_with("--method=") && m.contains(',') => "method",
            "--timings" => "timings",
            "--tls-info" => "tls",
            "--response-header" | "--revalidate" => "headers",
            "--timestamps" | "--skip-ok" => "started_at",
            "--hash" => "sha256",
            "--baseline" => "change",
            "-o" | "--output-dir" => "saved_to",
            "--body" => "body",
            _ => continue,
        };
        if !asked.contains(&key) {
            asked.push(key);
        }
    }
    asked.sort_by_key(|k| OPTIONAL.iter().position(|o| o == k));
    asked
}

/// Checks that `record` has exactly the optional keys `asked`.
pub fn check_optional_keys(record: &Value, asked: &[&str], line: &str) {
    let extra: Vec<&str> = record
        .as_object()
        .expect("record is an object")
        .keys()
        .skip(KEYS.len())
        .map(String::as_str)
        .filter(|k| *k != "body_encoding")
        .collect();
    assert_eq!(
        extra, asked,
        "optional keys asked for, in every record: {line}"
    );
}

/// Parses stdout as JSON Lines, checking that every line is one whole record
/// with exactly the documented keys in order (plus optional trailing ones)
/// and that `ok` is true exactly when `error` is null.
pub fn records(stdout: &[u8]) -> Vec<Value> {
    let text = std::str::from_utf8(stdout).expect("stdout is UTF-8");
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "last line is torn: {text:?}"
    );
    text.lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON record ({e}): {line}"));
            check_record(&v, line);
            v
        })
        .collect()
}

fn check_record(v: &Value, line: &str) {
    let obj = v.as_object().expect("record is an object");
    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    assert!(keys.len() >= KEYS.len(), "missing keys: {line}");
    assert_eq!(&keys[..KEYS.len()], &KEYS[..], "key order: {line}");
    let mut last = None;
    for extra in &keys[KEYS.len()..] {
        let at = OPTIONAL.iter().position(|k| k == extra);
        assert!(at.is_some(), "unexpected key {extra}: {line}");
        assert!(at > last, "optional key {extra} out of order: {line}");
        last = at;
    }
    assert_eq!(
        v["ok"].as_bool().unwrap(),
        v["error"].is_null(),
        "ok iff error is null: {line}"
    );
    if !v["error"].is_null() {
        assert!(
            v["error"]["kind"].is_string() && v["error"]["message"].is_string(),
            "{line}"
        );
    }
}

/// Records sorted by index.
pub fn by_index(mut records: Vec<Value>) -> Vec<Value> {
    records.sort_by_key(|r| r["index"].as_u64());
    records
}

/// The error kind of a record, or "ok".
pub fn kind(r: &Value) -> &str {
    r["error"]["kind"].as_str().unwrap_or("ok")
}
