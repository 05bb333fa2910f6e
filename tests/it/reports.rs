//! CI verdicts (#12): `--report junit|markdown=FILE` read back the way a CI
//! system reads them (stopping early is `max_failures.rs`).

use std::path::Path;

use axum::Router;
use axum::extract::Path as UrlPath;
use axum::http::StatusCode;
use axum::routing::get;
use quick_xml::events::Event;

use crate::support::*;

/// `/ok/{x}` answers 200, `/fail/{x}` 500; every path asked is logged.
pub(crate) fn app() -> (AppServer, Recorder<String>) {
    let hits: Recorder<String> = Recorder::default();
    let (h1, h2) = (hits.clone(), hits.clone());
    let app = Router::new()
        .route(
            "/ok/{x}",
            get(move |UrlPath(x): UrlPath<String>| async move {
                h1.push(format!("ok/{x}"));
                "ok"
            }),
        )
        .route(
            "/fail/{x}",
            get(move |UrlPath(x): UrlPath<String>| async move {
                h2.push(format!("fail/{x}"));
                (StatusCode::INTERNAL_SERVER_ERROR, "no")
            }),
        );
    (AppServer::start(app), hits)
}

/// A `<testcase>` as a CI system sees it.
#[derive(Debug, Default)]
struct Case {
    name: String,
    classname: String,
    time: f64,
    /// `failure:KIND`, `skipped`, or empty for a pass.
    outcome: String,
    message: String,
}

/// The `<testsuite>`'s attributes and its cases; panics unless the file is
/// well-formed XML.
fn parse_junit(path: &Path) -> (Vec<(String, String)>, Vec<Case>) {
    let text = std::fs::read_to_string(path).expect("the report exists");
    let mut reader = quick_xml::Reader::from_str(&text);
    let (mut suite, mut cases) = (Vec::new(), Vec::<Case>::new());
    loop {
        let event = reader
            .read_event()
            .unwrap_or_else(|e| panic!("bad XML ({e}): {text}"));
        let (Event::Start(e) | Event::Empty(e)) = &event else {
            if let Event::Eof = event {
                break;
            }
            continue;
        };
        let attrs: Vec<(String, String)> = e
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                let key = String::from_utf8(a.key.as_ref().to_vec()).unwrap();
                (
                    key,
                    a.normalized_value(quick_xml::XmlVersion::default())
                        .unwrap()
                        .into_owned(),
                )
            })
            .collect();
        let get = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        match e.name().as_ref() {
            b"testsuite" => suite = attrs.clone(),
            b"testcase" => cases.push(Case {
                name: get("name").unwrap(),
                classname: get("classname").unwrap(),
                time: get("time").unwrap().parse().unwrap(),
                ..Case::default()
            }),
            b"failure" => {
                let case = cases.last_mut().unwrap();
                case.outcome = format!("failure:{}", get("type").unwrap());
                case.message = get("message").unwrap();
            }
            b"skipped" => cases.last_mut().unwrap().outcome = "skipped".into(),
            _ => {}
        }
    }
    (suite, cases)
}

fn attr<'a>(attrs: &'a [(String, String)], key: &str) -> &'a str {
    &attrs.iter().find(|(k, _)| k == key).unwrap().1
}

/// The names of the files in `dir`, sorted.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn junit_counts_outcomes_and_survives_hostile_urls() {
    let (server, _) = app();
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("junit.xml");
    let hostile = server.url("/ok/\"<&>'\u{1}x");
    let refused = format!("http://127.0.0.1:{}/", closed_port());
    let run = run([
        "-r",
        "0",
        "--report",
        &format!("junit={}", xml.display()),
        &server.url("/ok/1"),
        &server.url("/fail/2"),
        &refused,
        "not a url",
        &hostile,
    ]);
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    let (suite, cases) = parse_junit(&xml);
    assert_eq!(attr(&suite, "name"), "fanout");
    assert_eq!(attr(&suite, "tests"), "5");
    assert_eq!(attr(&suite, "failures"), "3");
    assert_eq!(attr(&suite, "skipped"), "0");
    assert!(attr(&suite, "time").parse::<f64>().unwrap() >= 0.0);
    let case = |name: &str| {
        cases
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no case {name:?} in {cases:?}"))
    };
    assert_eq!(case(&server.url("/ok/1")).outcome, "");
    assert_eq!(case(&server.url("/ok/1")).classname, "127.0.0.1");
    assert_eq!(case(&server.url("/fail/2")).outcome, "failure:status");
    assert!(case(&server.url("/fail/2")).time > 0.0);
    assert_eq!(case(&refused).outcome, "failure:connect");
    assert_eq!(case("not a url").outcome, "failure:invalid_url");
    assert!(!case("not a url").message.is_empty());
    // Quotes and markup come back as they were; the control character,
    // which XML cannot carry, is gone.
    let cleaned = hostile.replace('\u{1}', "");
    assert_eq!(case(&cleaned).outcome, "");
}

#[test]
fn circuit_open_records_are_skipped_tests() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("junit.xml");
    // One closed port: the three URLs are one host.
    let port = closed_port();
    let refused = |i: u32| format!("http://127.0.0.1:{port}/{i}");
    let run = run([
        "-c",
        "1",
        "-r",
        "0",
        "--trip-after",
        "1",
        "--report",
        &format!("junit={}", xml.display()),
        &refused(1),
        &refused(2),
        &refused(3),
    ]);
    assert_eq!(run.status, Some(1));
    let (suite, cases) = parse_junit(&xml);
    assert_eq!(attr(&suite, "tests"), "3");
    assert_eq!(attr(&suite, "failures"), "1");
    assert_eq!(attr(&suite, "skipped"), "2");
    let outcomes: Vec<&str> = cases.iter().map(|c| c.outcome.as_str()).collect();
    assert_eq!(outcomes, ["failure:connect", "skipped", "skipped"]);
}

#[test]
fn markdown_lists_at_most_100_failed_urls_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("summary.md");
    let long = format!("bad-{}", "x|".repeat(200));
    let list: String = std::iter::once(long.clone())
        .chain((1..130).map(|i| format!("bad-{i}")))
        .map(|l| l + "\n")
        .collect();
    // The table shows the first 100 failures written; --ordered makes
    // those the first 100 lines, the long one among them, on any number
    // of threads.
    let run = fanout()
        .args([
            "--ordered",
            "--report",
            &format!("markdown={}", md.display()),
        ])
        .write_stdin(list)
        .run();
    assert_eq!(run.status, Some(1));
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(
        text.starts_with("### fanout: 130 of 130 URLs failed\n"),
        "{text}"
    );
    assert!(text.contains("\n| 130 | 0 | 130 | 0 | "), "{text}");
    assert!(text.contains("\n| invalid_url | 130 |\n"), "{text}");
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != "#### Failed URLs")
        .filter(|l| l.starts_with("| ") && l.contains("invalid_url"))
        .collect();
    assert_eq!(rows.len(), 100, "{text}");
    // Every row has five cells: no `|` of a URL leaks out of its cell.
    for row in &rows {
        let cells = row.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 6, "{row}");
    }
    let cut = rows
        .iter()
        .find(|r| r.contains("bad-x"))
        .expect("the long URL");
    let url_cell = cut.split(" | ").nth(1).unwrap().replace("\\|", "|");
    assert_eq!(url_cell.chars().count(), 200, "{url_cell}");
    assert!(url_cell.ends_with('…'));
    assert!(text.ends_with("…and 30 more failed URLs, not shown (see the JSON Lines records).\n"));
}

#[test]
fn a_report_replaces_file_whole_and_leaves_no_temporary_files() {
    let (server, _) = app();
    let dir = tempfile::tempdir().unwrap();
    let (xml, md) = (dir.path().join("r.xml"), dir.path().join("r.md"));
    std::fs::write(&xml, "old report").unwrap();
    std::fs::write(&md, "old summary").unwrap();
    let urls: Vec<String> = (0..50).map(|i| server.url(&format!("/ok/{i}"))).collect();
    let mut args = vec![
        "--report".to_owned(),
        format!("junit={}", xml.display()),
        "--report".to_owned(),
        format!("markdown={}", md.display()),
    ];
    args.extend(urls);
    let run = run(&args);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    let (suite, cases) = parse_junit(&xml);
    assert_eq!((attr(&suite, "tests"), cases.len()), ("50", 50));
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.starts_with("### fanout: no failed URLs\n"), "{text}");
    assert!(!text.contains("Failed URLs"), "{text}");
    assert_eq!(files_in(dir.path()), ["r.md", "r.xml"]);
}

#[test]
fn an_unwritable_report_is_a_usage_error_before_any_request() {
    let (server, hits) = app();
    let run = run([
        "--report",
        "junit=/nonexistent-dir/r.xml",
        &server.url("/ok/1"),
    ]);
    assert_eq!(run.status, Some(2));
    assert!(run.records.is_empty());
    assert!(
        run.stderr.contains("--report junit=/nonexistent-dir/r.xml"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(hits.all().is_empty(), "no request was made");
}

#[test]
#[cfg(unix)]
fn reports_are_written_after_sigint() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    use std::time::{Duration, Instant};
    let hang = RawServer::start(Raw::Hang);
    let dir = tempfile::tempdir().unwrap();
    let (xml, md) = (dir.path().join("r.xml"), dir.path().join("r.md"));
    let (xml_arg, md_arg) = (
        format!("junit={}", xml.display()),
        format!("markdown={}", md.display()),
    );
    let urls: Vec<String> = (0..3).map(|i| hang.url(&format!("/{i}"))).collect();
    let mut args = vec!["-t", "60s", "--report", &xml_arg, "--report", &md_arg];
    args.extend(urls.iter().map(String::as_str));
    let mut child = spawn(&args);
    hang.wait_for_requests(3);
    let sent = Instant::now();
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let status = wait_with_limit(&mut child, Duration::from_secs(10)).expect("fanout exits");
    let took = sent.elapsed();
    let err = stderr_of(&mut child);
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    let (suite, cases) = parse_junit(&xml);
    assert_eq!((attr(&suite, "tests"), attr(&suite, "skipped")), ("3", "3"));
    assert!(cases.iter().all(|c| c.outcome == "skipped"));
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(
        text.contains("Stopped early: interrupted (SIGINT)"),
        "{text}"
    );
    assert_eq!(files_in(dir.path()), ["r.md", "r.xml"]);
}

/// The table of failed URLs is in input order, not in the order the URLs
/// finished: `/late` (line 0) answers only once `/ok/2` (line 2) has been
/// asked, which with `-c 2` on one thread starts only after `/fail/1`
/// (line 1) is done.
#[test]
fn issue_22_markdown_failures_are_in_input_order() {
    let (tx, rx) = tokio::sync::watch::channel(false);
    let app = Router::new()
        .route(
            "/late",
            get(move || {
                let mut rx = rx.clone();
                async move {
                    let _ = rx.wait_for(|asked| *asked).await;
                    (StatusCode::INTERNAL_SERVER_ERROR, "late")
                }
            }),
        )
        .route(
            "/fail/{x}",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "no") }),
        )
        .route(
            "/ok/{x}",
            get(move || async move {
                let _ = tx.send(true);
                "ok"
            }),
        );
    let server = AppServer::start(app);
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("r.md");
    let run = run([
        "--threads",
        "1",
        "-c",
        "2",
        "-r",
        "0",
        "--report",
        &format!("markdown={}", md.display()),
        &server.url("/late"),
        &server.url("/fail/1"),
        &server.url("/ok/2"),
    ]);
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    let written: Vec<u64> = run
        .records
        .iter()
        .map(|r| r["index"].as_u64().unwrap())
        .collect();
    assert_eq!(
        written.last(),
        Some(&0),
        "line 0 finished last: {written:?}"
    );
    let text = std::fs::read_to_string(&md).unwrap();
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != "#### Failed URLs")
        .filter(|l| l.ends_with("(--accept 200-299) |"))
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(rows[0].starts_with("| 0 | "), "{text}");
    assert!(rows[1].starts_with("| 1 | "), "{text}");
}
