//! Issue #22, "Trust at first use": input a new user gets wrong — a URL
//! longer than the HTTP client carries, a JSON line or a URL without a
//! scheme, a binary file — and error messages that name a thing twice or
//! retry a name that does not exist.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::support::*;

/// The longest URL the HTTP client carries: `http`'s `Uri` refuses more
/// than `u16::MAX - 1` bytes.
const LONGEST: usize = 65_534;

/// A server that answers 200 to any path and counts the requests.
fn counting() -> (AppServer, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let seen = hits.clone();
    let app = Router::new().fallback(move || {
        let seen = seen.clone();
        async move {
            seen.fetch_add(1, Ordering::SeqCst);
            "ok"
        }
    });
    (AppServer::start(app), hits)
}

/// `base` padded with `a`s to exactly `len` bytes.
fn url_of_length(base: &str, len: usize) -> String {
    format!("{base}{}", "a".repeat(len - base.len()))
}

fn message(r: &serde_json::Value) -> &str {
    r["error"]["message"].as_str().unwrap_or_default()
}

#[test]
fn issue_22_a_url_longer_than_the_client_carries_is_invalid_url_on_every_path() {
    let (server, hits) = counting();
    let base = server.url("/");
    let longest = url_of_length(&base, LONGEST);
    let too_long = url_of_length(&base, LONGEST + 1);
    let way_too_long = url_of_length(&base, 66_000);
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("urls.txt");
    std::fs::write(&list, format!("{too_long}\n{way_too_long}\n")).unwrap();
    let jsonl = dir.path().join("urls.jsonl");
    std::fs::write(&jsonl, format!("{{\"url\":\"{too_long}\"}}\n")).unwrap();

    let out = run(["-r", "3", &longest, &too_long, "-i", list.to_str().unwrap()]);
    let rs = by_index(out.records);
    assert_eq!(rs.len(), 4);
    assert_eq!(rs[0]["ok"], true, "the longest URL it carries is fetched");
    for r in &rs[1..] {
        assert_eq!(kind(r), "invalid_url", "{}", &r["error"]);
        assert_eq!(r["attempts"], 0);
        let m = message(r);
        assert!(m.contains("longer than the HTTP client carries"), "{m}");
        assert!(m.contains("65534"), "{m}");
    }
    let out = run([
        "-r",
        "3",
        "--input-format",
        "jsonl",
        "-i",
        jsonl.to_str().unwrap(),
    ]);
    let r = out.one();
    assert_eq!(kind(r), "invalid_url", "{}", &r["error"]);
    assert!(message(r).contains("65534"), "{}", message(r));
    assert_eq!(hits.load(Ordering::SeqCst), 1, "only the longest was sent");
}

#[test]
fn issue_22_a_redirect_to_a_url_too_long_to_carry_is_a_redirect_error() {
    let target = format!("/{}", "a".repeat(LONGEST));
    let hits = Arc::new(AtomicUsize::new(0));
    let seen = hits.clone();
    let app = Router::new().route(
        "/far",
        get(move || {
            let seen = seen.clone();
            let target = target.clone();
            async move {
                seen.fetch_add(1, Ordering::SeqCst);
                (StatusCode::FOUND, [(header::LOCATION, target)]).into_response()
            }
        }),
    );
    let server = AppServer::start(app);
    let out = run(["-r", "3", &server.url("/far")]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let r = out.one();
    assert_eq!(kind(r), "redirect", "{}", &r["error"]);
    assert_eq!(
        r["attempts"], 1,
        "a Location that long does not get shorter"
    );
    let m = message(r);
    assert!(m.contains("longer than the HTTP client carries"), "{m}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[test]
fn issue_22_invalid_url_messages_suggest_the_likely_fix() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("urls.txt");
    std::fs::write(
        &list,
        "{\"url\": \"http://127.0.0.1:1/\"}\nlocalhost:8080/x\n127.0.0.1:8080/path?q=1\nexample.com/x\nmailto:a@b.c\n",
    )
    .unwrap();
    let out = run(["-i", list.to_str().unwrap()]);
    let rs = by_index(out.records);
    let messages: Vec<&str> = rs.iter().map(message).collect();
    assert!(rs.iter().all(|r| kind(r) == "invalid_url"), "{messages:?}");
    assert!(
        messages[0].ends_with("did you mean --input-format jsonl?"),
        "{}",
        messages[0]
    );
    for (m, fixed) in messages[1..4].iter().zip([
        "http://localhost:8080/x",
        "http://127.0.0.1:8080/path?q=1",
        "http://example.com/x",
    ]) {
        assert!(m.ends_with(&format!("did you mean {fixed}?")), "{m}");
    }
    assert!(!messages[4].contains("did you mean"), "{}", messages[4]);
    assert!(messages.iter().all(|m| !m.contains('\n')), "{messages:?}");
}

#[test]
fn issue_22_a_binary_input_file_is_warned_about_once_and_read_line_by_line() {
    let (server, hits) = counting();
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("image.bin");
    let mut bytes = format!("{}\n", server.url("/first")).into_bytes();
    for i in 0..50u8 {
        bytes.extend_from_slice(&[0, 1, 0x80 | i, 0xff, b'\n']);
    }
    std::fs::write(&binary, &bytes).unwrap();
    let text = dir.path().join("urls.txt");
    std::fs::write(&text, format!("{}\n", server.url("/second"))).unwrap();
    let other = dir.path().join("other.bin");
    std::fs::write(&other, b"\0\0\0\n").unwrap();

    let out = run([
        "-i",
        binary.to_str().unwrap(),
        "-i",
        text.to_str().unwrap(),
        "-i",
        other.to_str().unwrap(),
    ]);
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("looks binary"))
        .collect();
    assert_eq!(warnings.len(), 2, "{}", out.stderr);
    assert!(warnings[0].starts_with("fanout: warning: "), "{warnings:?}");
    assert!(
        warnings[0].contains(binary.to_str().unwrap()),
        "{warnings:?}"
    );
    assert!(
        warnings[1].contains(other.to_str().unwrap()),
        "{warnings:?}"
    );
    assert_eq!(out.records.len(), 1 + 50 + 1 + 1, "one record per line");
    assert_eq!(hits.load(Ordering::SeqCst), 2, "its URLs are still fetched");

    let out = fanout().write_stdin(bytes).run();
    let warnings = out.stderr.matches("looks binary").count();
    assert_eq!(warnings, 1, "{}", out.stderr);
    assert!(out.stderr.contains("stdin"), "{}", out.stderr);
    assert_eq!(out.records.len(), 51);
}

#[test]
fn issue_22_a_text_file_gets_no_binary_warning() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("urls.txt");
    // A NUL past the first 4 KiB does not make a file look binary.
    let mut bytes = "# comment\n".repeat(500).into_bytes();
    bytes.extend_from_slice(b"x\0y\n");
    std::fs::write(&list, bytes).unwrap();
    let out = run(["-i", list.to_str().unwrap()]);
    assert!(!out.stderr.contains("binary"), "{}", out.stderr);
    assert_eq!(out.records.len(), 1);
}

#[test]
fn issue_22_a_name_that_does_not_exist_is_final_and_said_once() {
    // RFC 6761: names under `.invalid` never resolve, and resolvers answer
    // so at once.
    let out = run([
        "-r",
        "3",
        "--backoff",
        "1ms",
        "http://no-such-host.invalid/x",
    ]);
    let r = out.one();
    assert_eq!(kind(r), "dns", "{r}");
    if message(r).contains("Temporary failure") {
        // No resolver answered (a machine without DNS at all): there is no
        // NXDOMAIN to see, and a failure to answer is rightly retried.
        eprintln!("skipped: the resolver did not answer: {}", message(r));
        return;
    }
    assert_eq!(r["attempts"], 1, "NXDOMAIN is not retried: {r}");
    assert_eq!(message(r), "dns: name not found");
}

#[test]
fn issue_22_a_connect_timeout_says_which_timeout() {
    use socket2::{Domain, Socket, Type};
    // A listener that never accepts, with room for one queued connection:
    // once that is taken the kernel drops further SYNs, so connecting hangs.
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    listener
        .bind(
            &"127.0.0.1:0"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
        )
        .unwrap();
    listener.listen(0).unwrap();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let mut queued = Vec::new();
    let full = (0..8).any(|_| {
        match std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(300)) {
            Ok(s) => {
                queued.push(s);
                false
            }
            Err(_) => true,
        }
    });
    if !full {
        eprintln!("skipped: this kernel queues every connection; no connect timeout to provoke");
        return;
    }
    let url = format!("http://{addr}/");
    let out = run(["-r", "0", "--connect-timeout", "200ms", "-t", "30s", &url]);
    let r = out.one();
    assert_eq!(kind(r), "timeout", "{r}");
    assert_eq!(message(r), "no connection within --connect-timeout");
}
