//! `--baseline FILE` and `--fail-on`.

use super::*;
use crate::support::*;

/// The baseline of the page tests: (name, ok, status, body then).
const THEN: [(&str, bool, u16, &str); 6] = [
    ("steady", true, 200, "same"),
    ("edited", true, 200, "old text"),
    ("moved", true, 200, "moved"),
    ("broke", true, 200, "broke"),
    ("fixed", false, 500, "status 500"),
    ("down", false, 404, "status 404"),
];

fn baseline(pages: &Pages, dir: &Path) -> String {
    let lines: Vec<String> = THEN
        .iter()
        .map(|(name, ok, status, body)| {
            let sha = format!(r#","sha256":"{}""#, sha256_hex(body.as_bytes()));
            earlier(&pages.url(name), *ok, *status, &sha)
        })
        .collect();
    records_file(dir, "baseline.jsonl", &lines)
}

fn set_now(pages: &Pages) {
    pages.set("steady", Page::ok("same"));
    pages.set("edited", Page::ok("new text"));
    pages.set(
        "moved",
        Page {
            status: 204,
            ..Page::ok("")
        },
    );
    pages.set("broke", Page::status(500));
    pages.set("fixed", Page::ok("fixed"));
    pages.set("down", Page::status(404));
    pages.set("fresh", Page::ok("fresh"));
}

#[test]
fn every_change_is_named_and_counted() {
    let pages = Pages::start();
    set_now(&pages);
    let dir = tempfile::tempdir().unwrap();
    let base = baseline(&pages, dir.path());
    let (stats, md) = (dir.path().join("stats.json"), dir.path().join("report.md"));
    // down comes before broke in the input; the report lists broke first.
    let names = [
        "down", "steady", "edited", "moved", "broke", "fixed", "fresh",
    ];
    let urls = names.map(|n| pages.url(n));
    let run = fanout()
        .args([
            "--baseline",
            &base,
            "--hash",
            "--retries",
            "0",
            "--deadline",
            "2s",
        ])
        .args(["--stats", stats.to_str().unwrap()])
        .arg(format!("--report=markdown={}", md.display()))
        .args(&urls)
        .arg(pages.hang_url())
        .run();
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    let change = |n: &str| of(&run.records, &pages.url(n))["change"].clone();
    for (name, want) in [
        ("steady", "unchanged"),
        ("edited", "changed"),
        ("moved", "changed"),
        ("broke", "new_failure"),
        ("fixed", "recovered"),
        ("down", "still_failing"),
        ("fresh", "new_url"),
    ] {
        assert_eq!(change(name), want, "{name}");
    }
    let hang = of(&run.records, &pages.hang_url());
    assert_eq!((kind(hang), &hang["change"]), ("cancelled", &Value::Null));

    let counts = "new_url 1, new_failure 1, recovered 1, still_failing 1, changed 2, unchanged 1";
    assert!(
        run.stderr.contains(&format!("changes: {counts}\n")),
        "{}",
        run.stderr
    );
    let stats: Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    assert_eq!(
        stats["changes"].to_string(),
        r#"{"new_url":1,"new_failure":1,"recovered":1,"still_failing":1,"changed":2,"unchanged":1}"#
    );
    let md = std::fs::read_to_string(&md).unwrap();
    for (c, n) in [
        ("new_url", 1),
        ("new_failure", 1),
        ("recovered", 1),
        ("still_failing", 1),
        ("changed", 2),
        ("unchanged", 1),
    ] {
        assert!(md.contains(&format!("| {c} | {n} |\n")), "{md}");
    }
    let table = &md[md.find("#### Failed URLs").unwrap()..];
    let (broke, down) = (
        table.find("/p/broke").unwrap(),
        table.find("/p/down").unwrap(),
    );
    assert!(broke < down, "new failures first: {table}");
}

#[test]
fn the_last_final_record_counts_and_ids_are_keys() {
    let pages = Pages::start();
    pages.set("a", Page::ok("a"));
    let dir = tempfile::tempdir().unwrap();
    let url = pages.url("a");
    let cancelled = format!(
        r#"{{"url":"{url}","ok":false,"status":null,"error":{{"kind":"cancelled","message":"m"}}}}"#
    );
    let base = records_file(
        dir.path(),
        "baseline.jsonl",
        &[
            earlier(&url, false, 500, ""),
            earlier(&url, true, 200, ""),
            cancelled,
            "{\"torn\":".into(),
            earlier("http://elsewhere/", false, 500, r#","id":"row-1""#),
        ],
    );
    let run = run(["--baseline", &base, &url]);
    assert_eq!(run.one()["change"], "unchanged", "{}", run.stderr);
    // A jsonl run's key is the line's id, whatever its url.
    let line = format!(r#"{{"url":"{url}","id":"row-1"}}"#);
    let run = fanout()
        .args(["--baseline", &base, "--input-format", "jsonl"])
        .write_stdin(line)
        .run();
    assert_eq!(run.one()["change"], "recovered", "{}", run.stderr);
}

#[test]
fn a_304_compares_as_the_status_it_confirms() {
    let pages = Pages::start();
    pages.set("a", Page::ok("a").etag("\"1\""));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("runs.jsonl");
    std::fs::write(&file, "").unwrap();
    let (f, url) = (file.to_str().unwrap(), pages.url("a"));
    let args = ["--revalidate", f, "--baseline", f, "--hash", &url];
    let (_, first, _) = append_run(&args, &file);
    assert_eq!(first[0]["change"], "new_url");
    let (status, second, err) = append_run(&args, &file);
    assert_eq!(status, Some(0), "{err}");
    assert_eq!(
        (second[0]["status"].as_u64(), &second[0]["change"]),
        (Some(304), &Value::from("unchanged"))
    );
    let (_, third, _) = append_run(&args, &file);
    assert_eq!(
        third[0]["change"], "unchanged",
        "and again, from the 304's record"
    );
}

#[test]
fn fail_on_new_fails_only_on_new_failures() {
    let pages = Pages::start();
    set_now(&pages);
    let dir = tempfile::tempdir().unwrap();
    let base = baseline(&pages, dir.path());
    let new = ["--baseline", &base, "--fail-on", "new", "--retries", "0"];
    let old = fanout()
        .args(new)
        .args([pages.url("down"), pages.url("steady")])
        .run();
    assert_eq!(
        old.status,
        Some(0),
        "a failure already in the baseline: {}",
        old.stderr
    );
    assert!(
        old.stderr.contains("1 failed"),
        "still reported: {}",
        old.stderr
    );
    let any = fanout()
        .args(["--baseline", &base, "--retries", "0", &pages.url("down")])
        .run();
    assert_eq!(any.status, Some(1), "--fail-on any is the default");
    for name in ["broke", "gone"] {
        // A new failure, and a new URL that fails.
        let run = fanout()
            .args(new)
            .args([pages.url("down"), pages.url(name)])
            .run();
        assert_eq!(run.status, Some(1), "{name}: {}", run.stderr);
    }
}

#[test]
fn max_failures_with_fail_on_new_counts_only_new_failures() {
    let pages = Pages::start();
    set_now(&pages);
    let dir = tempfile::tempdir().unwrap();
    let base = baseline(&pages, dir.path());
    let stats = dir.path().join("stats.json");
    let args = [
        "--baseline",
        &base,
        "--fail-on",
        "new",
        "--max-failures",
        "1",
        "--retries",
        "0",
    ];
    let run = fanout()
        .args(args)
        .args(["--threads", "1", "-c", "1"])
        .args([pages.url("down"), pages.url("down"), pages.url("steady")])
        .run();
    assert_eq!(
        (run.status, run.records.len()),
        (Some(0), 3),
        "{}",
        run.stderr
    );
    // Input order on one slot: the new failure stops the run before the last URL.
    let run = fanout()
        .args(args)
        .args([
            "--threads",
            "1",
            "-c",
            "1",
            "--stats",
            stats.to_str().unwrap(),
        ])
        .args([pages.url("down"), pages.url("broke"), pages.url("steady")])
        .run();
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    let stats: Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    assert_eq!(stats["stopped"], "max_failures");
    assert!(
        run.records
            .iter()
            .all(|r| r["url"] != pages.url("steady").as_str())
    );
}
