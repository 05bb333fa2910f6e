//! Requests per line: `--input-format jsonl` (method, headers, body, `id`,
//! idempotency, filter keys, bad lines) and `--header-for`, against a real
//! server that remembers every request it got.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::support::*;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    }
}

/// A server that notes every request: `/go?to=URL` redirects (302) to
/// URL, `/503` always answers 503, anything else 200.
pub struct Echo {
    pub server: AppServer,
    seen: Recorder<Seen>,
}

impl Echo {
    pub fn start() -> Echo {
        let seen = Recorder::default();
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(seen.clone());
        Echo {
            server: AppServer::start(app),
            seen,
        }
    }

    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    pub fn port(&self) -> u16 {
        self.server.addr.port()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.all()
    }

    pub fn only(&self) -> Seen {
        let seen = self.seen();
        assert_eq!(seen.len(), 1, "{seen:?}");
        seen[0].clone()
    }
}

async fn answer(State(seen): State<Recorder<Seen>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap().to_vec();
    let path = parts.uri.path().to_owned();
    seen.push(Seen {
        method: parts.method.to_string(),
        path: path.clone(),
        headers: parts.headers.clone(),
        body,
    });
    match (path.as_str(), parts.uri.query()) {
        ("/go", Some(q)) => {
            let to = q.strip_prefix("to=").unwrap_or_default().to_owned();
            (StatusCode::FOUND, [("location", to)]).into_response()
        }
        ("/503", _) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        _ => "ok".into_response(),
    }
}

/// `fanout --input-format jsonl ARGS` with `lines` on stdin.
fn jsonl(args: &[&str], lines: &[Value]) -> Run {
    let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
    fanout()
        .args(["--input-format", "jsonl"])
        .args(args)
        .write_stdin(input)
        .run()
}

#[test]
fn a_line_gives_method_headers_body_and_its_records_id() {
    let echo = Echo::start();
    let out = jsonl(
        &[],
        &[json!({"url": echo.url("/a"), "method": "put",
                 "headers": {"X-One": "1", "X-Many": ["a", "b"]},
                 "body": "{\"k\":1}", "id": {"row": 7}})],
    );
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    let r = out.one();
    assert_eq!(r["url"], echo.url("/a"));
    assert_eq!(r["id"], json!({"row": 7}));
    let seen = echo.only();
    assert_eq!(seen.method, "PUT");
    assert_eq!(seen.header("x-one"), Some("1"));
    assert_eq!(seen.all("x-many"), ["a", "b"]);
    assert_eq!(seen.body, b"{\"k\":1}");
}

#[test]
fn body_base64_is_sent_as_bytes() {
    let echo = Echo::start();
    let out = jsonl(
        &[],
        &[json!({"url": echo.url("/b"), "body_base64": "/wBh"})],
    );
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    let seen = echo.only();
    assert_eq!(seen.body, [0xff, 0x00, b'a']);
    assert_eq!(seen.method, "POST", "a body without a method means POST");
}

#[test]
fn the_method_is_the_lines_else_x_else_post_with_a_body_else_get() {
    let echo = Echo::start();
    let line = |method: Option<&str>, body: bool| {
        let mut l = json!({"url": echo.url("/m")});
        if let Some(m) = method {
            l["method"] = json!(m);
        }
        if body {
            l["body"] = json!("b");
        }
        l
    };
    let cases: [(&[&str], Value, &str); 6] = [
        (&[], line(Some("DELETE"), true), "DELETE"),
        (&["-X", "PATCH"], line(Some("HEAD"), false), "HEAD"),
        (&["-X", "PATCH"], line(None, true), "PATCH"),
        (&[], line(None, true), "POST"),
        (&["-d", "x=1"], line(None, false), "POST"),
        (&[], line(None, false), "GET"),
    ];
    for (args, l, want) in cases {
        let before = echo.seen().len();
        let out = jsonl(args, std::slice::from_ref(&l));
        assert_eq!(out.status, Some(0), "{l}: {}", out.stderr);
        assert_eq!(echo.seen()[before].method, want, "{args:?} {l}");
    }
}

#[test]
fn a_lines_body_and_headers_replace_d_and_h_and_the_form_type_comes_only_with_d() {
    let echo = Echo::start();
    let lines = [
        json!({"url": echo.url("/1"), "body": "mine", "headers": {"X-A": "line"}}),
        json!({"url": echo.url("/2")}),
    ];
    let out = jsonl(
        &["-d", "flag=1", "-H", "X-A: flag", "-H", "X-B: flag"],
        &lines,
    );
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    let mut seen = echo.seen();
    seen.sort_by(|a, b| a.path.cmp(&b.path));
    assert_eq!(seen[0].body, b"mine");
    assert_eq!(
        seen[0].all("x-a"),
        ["line"],
        "the line's header replaces -H"
    );
    assert_eq!(seen[0].header("x-b"), Some("flag"));
    assert_eq!(
        seen[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(seen[1].body, b"flag=1");
    assert_eq!(seen[1].all("x-a"), ["flag"]);

    let echo = Echo::start();
    let out = jsonl(&[], &[json!({"url": echo.url("/3"), "body": "{}"})]);
    assert_eq!(out.status, Some(0));
    assert_eq!(
        echo.only().header("content-type"),
        None,
        "no -d, no form type"
    );
}

#[test]
fn retries_follow_each_lines_method() {
    let echo = Echo::start();
    let lines = [
        json!({"url": echo.url("/503"), "method": "PUT", "id": "put"}),
        json!({"url": echo.url("/503"), "method": "POST", "id": "post"}),
    ];
    let out = jsonl(&["-r", "2", "--backoff", "1ms", "-X", "POST"], &lines);
    assert_eq!(out.status, Some(1));
    for r in &out.records {
        let want = if r["id"] == "put" { 3 } else { 1 };
        assert_eq!(r["attempts"], want, "{r}");
    }
    assert_eq!(echo.seen().len(), 4);
}

#[test]
fn every_record_of_a_jsonl_run_has_its_id_first_among_optional_fields() {
    let echo = Echo::start();
    let lines = [
        json!({"url": echo.url("/a"), "id": "a"}),
        json!({"url": echo.url("/b")}),
        json!({"url": "ftp://nope/", "id": 3}),
    ];
    let out = jsonl(&["--request-id", "X-Request-Id", "--body"], &lines);
    let ids: Vec<Value> = by_index(out.records.clone())
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    assert_eq!(ids, [json!("a"), Value::Null, json!(3)]);
    for r in &out.records {
        let keys: Vec<&String> = r.as_object().unwrap().keys().collect();
        assert_eq!(keys[KEYS.len()], "id", "{r}");
    }
    // Plain lines have no id.
    let plain = run([echo.url("/a")]);
    assert!(plain.one().get("id").is_none());
}

#[test]
fn bad_lines_are_invalid_url_records_that_say_why_and_the_run_goes_on() {
    let echo = Echo::start();
    let mut input = String::new();
    for bad in [
        "not json".to_owned(),
        "[1]".to_owned(),
        r#"{"id":"x"}"#.to_owned(),
        r#"{"url":"http://a/","headers":{"x":1}}"#.to_owned(),
        r#"{"url":"http://a/","body_base64":"%%"}"#.to_owned(),
    ] {
        input.push_str(&bad);
        input.push('\n');
    }
    let mut bytes = input.into_bytes();
    bytes.extend_from_slice(b"{\"url\":\"http://a/\xff\"}\n");
    bytes.extend_from_slice(format!("{{\"url\":\"{}\"}}\n", echo.url("/good")).as_bytes());
    let out = fanout()
        .args(["--input-format", "jsonl"])
        .write_stdin(bytes)
        .run();
    assert_eq!(out.status, Some(1));
    let records = by_index(out.records);
    let messages: Vec<&str> = records
        .iter()
        .filter(|r| kind(r) == "invalid_url")
        .map(|r| r["error"]["message"].as_str().unwrap())
        .collect();
    for says in [
        "not JSON",
        "not an object",
        "no `url`",
        "header `x` must be",
        "not base64",
        "not valid UTF-8",
    ] {
        assert!(
            messages.iter().any(|m| m.contains(says)),
            "{says}: {messages:?}"
        );
    }
    assert_eq!(records.last().unwrap()["ok"], true);
    assert_eq!(records[2]["id"], "x", "a bad line keeps its id");
}

#[test]
fn a_line_over_one_mib_is_an_invalid_url_record() {
    let echo = Echo::start();
    let big = json!({"url": echo.url("/x"), "id": "x".repeat(1 << 20)});
    let out = jsonl(&[], &[big, json!({"url": echo.url("/y")})]);
    let records = by_index(out.records);
    assert_eq!(kind(&records[0]), "invalid_url");
    assert!(
        records[0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1 MiB")
    );
    assert_eq!(records[1]["ok"], true);
}

#[test]
fn dedup_and_shard_key_on_the_id_else_the_url() {
    let echo = Echo::start();
    let lines = [
        json!({"url": echo.url("/same"), "id": 1}),
        json!({"url": echo.url("/same"), "id": 2}),
        json!({"url": echo.url("/other"), "id": 1}),
        json!({"url": echo.url("/same")}),
        json!({"url": echo.url("/same")}),
    ];
    let out = jsonl(&["--dedup"], &lines);
    let mut kept: Vec<u64> = out
        .records
        .iter()
        .map(|r| r["index"].as_u64().unwrap())
        .collect();
    kept.sort();
    assert_eq!(kept, [0, 1, 3]);

    // Shards split by the id: the same id lands in the same shard
    // whatever its url.
    let many: Vec<Value> = (0..40)
        .map(|i| json!({"url": echo.url(&format!("/{i}")), "id": format!("k{}", i % 10)}))
        .collect();
    let mut owner = std::collections::HashMap::new();
    let mut total = 0;
    for k in 1..=3 {
        let out = jsonl(&["--shard", &format!("{k}/3")], &many);
        total += out.records.len();
        for r in &out.records {
            let id = r["id"].as_str().unwrap().to_owned();
            assert_eq!(*owner.entry(id).or_insert(k), k, "{r}");
        }
    }
    assert_eq!(total, 40);
}

#[test]
fn skip_done_reads_ids_back_from_earlier_records() {
    let echo = Echo::start();
    let lines = [
        json!({"url": echo.url("/a"), "id": "a"}),
        json!({"url": echo.url("/503"), "id": {"n": 1}}),
        json!({"url": echo.url("/c")}),
    ];
    let first = jsonl(&["-r", "0"], &lines[..2]);
    let dir = tempfile::tempdir().unwrap();
    let done = dir.path().join("done.jsonl");
    std::fs::write(&done, &first.stdout).unwrap();
    // The same ids with other urls are still done; the url-only line is not.
    let again = [
        json!({"url": echo.url("/moved"), "id": "a"}),
        json!({"url": echo.url("/moved2"), "id": {"n": 1}}),
        lines[2].clone(),
    ];
    let out = jsonl(&["--skip-done", done.to_str().unwrap()], &again);
    assert_eq!(out.status, Some(0), "{}", out.stderr);
    assert_eq!(out.one()["index"], 2);
}
