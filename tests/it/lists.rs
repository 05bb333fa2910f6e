//! Big lists: --shard, --skip-done, --dedup.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::Path;
use axum::routing::get;

use crate::support::*;

/// FNV-1a 64, written out independently of the library's.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

fn ok_app() -> AppServer {
    AppServer::start(Router::new().route("/{n}", get(|| async { "ok" })))
}

#[test]
fn shards_cover_a_list_exactly_once() {
    let server = ok_app();
    let urls: Vec<String> = (0..300).map(|i| server.url(&format!("/{i}"))).collect();
    let list = urls.iter().map(|u| format!("  {u}\n")).collect::<String>();
    let mut seen: Vec<(u64, String)> = Vec::new();
    for k in 1..=3u64 {
        let out = fanout()
            .args(["--shard", &format!("{k}/3"), "-c", "16"])
            .write_stdin(list.clone())
            .run();
        assert_eq!(out.status, Some(0));
        let rs = out.records;
        assert!(
            rs.len() > 50 && rs.len() < 150,
            "shard {k}/3 got {}",
            rs.len()
        );
        for r in rs {
            let url = r["url"].as_str().unwrap().to_owned();
            assert_eq!(fnv(url.as_bytes()) % 3, k - 1, "{url} is not in shard {k}");
            seen.push((r["index"].as_u64().unwrap(), url));
        }
    }
    seen.sort();
    let want: Vec<(u64, String)> = urls
        .into_iter()
        .enumerate()
        .map(|(i, u)| (i as u64, u))
        .collect();
    assert_eq!(
        seen, want,
        "union of shards is the list, each URL once, index unsharded"
    );
}

#[test]
fn bad_shards_are_usage_errors() {
    for bad in ["0/3", "4/3", "x/y", "3"] {
        let out = run(["--shard", bad, "http://127.0.0.1/"]);
        assert_eq!(out.status, Some(2), "{bad}");
        let err = out.stderr;
        assert!(err.contains("K/N") || err.contains("shard"), "{bad}: {err}");
    }
}

#[test]
fn dedup_skips_repeated_lines() {
    let server = ok_app();
    let (a, b) = (server.url("/a"), server.url("/b"));
    let out = fanout()
        .arg("--dedup")
        .write_stdin(format!("{a}\n{b}\n  {a}  \n{b}\n{a}\n"))
        .run();
    let rs = by_index(out.records);
    let got: Vec<(u64, &str)> = rs
        .iter()
        .map(|r| (r["index"].as_u64().unwrap(), r["url"].as_str().unwrap()))
        .collect();
    assert_eq!(got, [(0, a.as_str()), (1, b.as_str())]);
    // Without --dedup every line is fetched.
    let out = fanout().write_stdin(format!("{a}\n{a}\n")).run();
    assert_eq!(out.records.len(), 2);
}

/// `/hang-once/{n}` hangs on its first request and answers afterwards; other
/// paths answer at once. Counts requests per path.
fn resumable_app() -> (AppServer, Arc<Mutex<HashMap<String, usize>>>) {
    let hits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let h = hits.clone();
    let h2 = hits.clone();
    let app = Router::new()
        .route(
            "/hang-once/{n}",
            get(move |Path(n): Path<String>| {
                let h = h.clone();
                async move {
                    let first = {
                        let mut h = h.lock().unwrap();
                        let c = h.entry(format!("/hang-once/{n}")).or_default();
                        *c += 1;
                        *c == 1
                    };
                    if first {
                        std::future::pending::<()>().await;
                    }
                    "ok now"
                }
            }),
        )
        .route(
            "/{n}",
            get(move |Path(n): Path<String>| {
                let h = h2.clone();
                async move {
                    *h.lock().unwrap().entry(format!("/{n}")).or_default() += 1;
                    if n == "missing" {
                        (axum::http::StatusCode::NOT_FOUND, "no")
                    } else {
                        (axum::http::StatusCode::OK, "ok")
                    }
                }
            }),
        );
    (AppServer::start(app), hits)
}

#[test]
fn skip_done_reruns_exactly_the_missing_and_cancelled() {
    let (server, hits) = resumable_app();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("urls.txt");
    let done_urls: Vec<String> = ["/a", "/b", "/missing", "/c"]
        .iter()
        .map(|p| server.url(p))
        .collect();
    let hang_urls: Vec<String> = ["/hang-once/1", "/hang-once/2"]
        .iter()
        .map(|p| server.url(p))
        .collect();
    let never = server.url("/never-started");
    let mut all: Vec<&String> = done_urls.iter().chain(&hang_urls).collect();
    all.push(&never);
    std::fs::write(
        &list,
        all.iter().map(|u| format!("{u}\n")).collect::<String>(),
    )
    .unwrap();

    // First run, two at a time: the fast four finish, then the two hanging
    // URLs take both slots until the deadline cancels them, and the last
    // URL never starts. On one thread: only there do slots go to URLs in
    // exactly their input order.
    let out = fanout()
        .args(["--threads", "1", "--deadline", "1s", "-c", "2", "-i"])
        .arg(&list)
        .run();
    assert_eq!(out.status, Some(1));
    let first = out.records;
    let cancelled: BTreeSet<&str> = first
        .iter()
        .filter(|r| kind(r) == "cancelled")
        .map(|r| r["url"].as_str().unwrap())
        .collect();
    assert_eq!(cancelled, hang_urls.iter().map(String::as_str).collect());
    // The URL after them never started: no record.
    assert!(first.iter().all(|r| r["url"] != never.as_str()));

    // The run crashed while writing: a torn last line.
    let results = dir.path().join("results.jsonl");
    let mut file = out.stdout.clone();
    file.extend_from_slice(br#"{"index":9,"url":"http://127.0.0.1:1/torn","ok":tr"#);
    std::fs::write(&results, file).unwrap();

    let before = hits.lock().unwrap().clone();
    let out = fanout()
        .arg("--skip-done")
        .arg(&results)
        .arg("-i")
        .arg(&list)
        .run();
    let err = &out.stderr;
    assert!(err.contains("torn last line"), "{err}");
    assert_eq!(out.status, Some(0), "{err}");
    let second = out.records;
    let rerun: BTreeSet<&str> = second.iter().map(|r| r["url"].as_str().unwrap()).collect();
    let mut want: BTreeSet<&str> = hang_urls.iter().map(String::as_str).collect();
    want.insert(never.as_str());
    assert_eq!(
        rerun, want,
        "exactly the cancelled and the never-started URLs run again"
    );
    // Indexes are still positions in the whole list.
    for r in &second {
        let i = r["index"].as_u64().unwrap() as usize;
        assert_eq!(all[i].as_str(), r["url"].as_str().unwrap());
    }
    // The server saw no second request for a URL that was done.
    let after = hits.lock().unwrap().clone();
    for path in ["/a", "/b", "/missing", "/c"] {
        assert_eq!(
            after.get(path),
            before.get(path),
            "{path} was fetched again"
        );
    }
}

#[test]
fn skip_done_with_everything_done_exits_0_without_records() {
    let server = ok_app();
    let url = server.url("/a");
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.jsonl");
    let out = fanout().arg(&url).run();
    std::fs::write(&results, &out.stdout).unwrap();
    let out = fanout().arg("--skip-done").arg(&results).arg(&url).run();
    assert_eq!(out.status, Some(0));
    assert!(out.records.is_empty());
}
