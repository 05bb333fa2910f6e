//! `--skip-ok FILE [--max-age DUR]`, and what every FILE shares: read
//! whole before the first request, a missing one a usage error.

use super::*;
use crate::support::*;

/// `started_at` as fanout writes it, `secs` seconds before now.
fn ago(secs: u64) -> String {
    let t = std::time::SystemTime::now() - std::time::Duration::from_secs(secs);
    let s = t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let (days, rem) = (s.div_euclid(86_400), s.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[test]
fn ok_urls_are_skipped_and_failures_run_again() {
    let pages = Pages::start();
    for name in ["ok", "failed", "new", "cancelled"] {
        pages.set(name, Page::ok(name));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = records_file(
        dir.path(),
        "earlier.jsonl",
        &[
            earlier(&pages.url("ok"), true, 200, ""),
            earlier(&pages.url("failed"), false, 500, ""),
            format!(
                r#"{{"url":"{}","ok":false,"status":null,"error":{{"kind":"cancelled","message":"m"}}}}"#,
                pages.url("cancelled")
            ),
            "not a record".into(),
        ],
    );
    let urls = ["ok", "failed", "new", "cancelled"].map(|n| pages.url(n));
    let run = fanout().args(["--skip-ok", &file]).args(&urls).run();
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    let ran: Vec<&str> = run
        .records
        .iter()
        .map(|r| r["url"].as_str().unwrap())
        .collect();
    assert_eq!(run.records.len(), 3, "{ran:?}");
    assert!(
        !ran.contains(&urls[0].as_str()),
        "a skipped URL gets no record"
    );
    assert!(pages.hits("ok").is_empty());
    // --skip-ok implies --timestamps.
    assert!(run.records.iter().all(|r| r["started_at"].is_string()));
    assert!(
        run.stderr.contains("ignoring a torn last line"),
        "{}",
        run.stderr
    );
}

#[test]
fn max_age_skips_only_recent_successes() {
    let pages = Pages::start();
    for name in ["fresh", "stale", "unstamped"] {
        pages.set(name, Page::ok(name));
    }
    let dir = tempfile::tempdir().unwrap();
    let stamp = |s: u64| format!(r#","started_at":"{}""#, ago(s));
    let file = records_file(
        dir.path(),
        "earlier.jsonl",
        &[
            earlier(&pages.url("fresh"), true, 200, &stamp(3600)),
            earlier(&pages.url("stale"), true, 200, &stamp(2 * 86_400)),
            earlier(&pages.url("unstamped"), true, 200, ""),
        ],
    );
    let urls = ["fresh", "stale", "unstamped"].map(|n| pages.url(n));
    let run = fanout()
        .args(["--skip-ok", &file, "--max-age", "1d"])
        .args(&urls)
        .run();
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    let mut ran: Vec<&str> = run
        .records
        .iter()
        .map(|r| r["url"].as_str().unwrap())
        .collect();
    ran.sort();
    assert_eq!(
        ran,
        [urls[1].as_str(), urls[2].as_str()],
        "too old: run again"
    );
    // Without --max-age every success is skipped.
    let run = fanout().args(["--skip-ok", &file]).args(&urls).run();
    assert!(run.records.is_empty(), "{:?}", run.records);
}

#[test]
fn appending_to_the_file_read_chains_run_after_run() {
    let pages = Pages::start();
    pages.set("a", Page::ok("a"));
    pages.set("b", Page::status(503));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("runs.jsonl");
    std::fs::write(&file, "").unwrap();
    let f = file.to_str().unwrap();
    let (a, b) = (pages.url("a"), pages.url("b"));
    let args = ["--skip-ok", f, "--retries", "0", a.as_str(), b.as_str()];
    let (status, first, _) = append_run(&args, &file);
    assert_eq!((status, first.len()), (Some(1), 2));
    // The file this run appends to was read whole first: only b again.
    let (status, second, err) = append_run(&args, &file);
    assert_eq!(status, Some(1), "{err}");
    assert_eq!(second.len(), 1);
    assert_eq!(second[0]["url"], b.as_str());
    pages.set("b", Page::ok("b"));
    let (status, third, _) = append_run(&args, &file);
    assert_eq!((status, third.len()), (Some(0), 1));
    let (status, fourth, _) = append_run(&args, &file);
    assert_eq!((status, fourth.len()), (Some(0), 0), "nothing left to run");
    assert_eq!(pages.hits("a").len(), 1);
}

#[test]
fn a_missing_file_and_flags_without_their_partner_are_usage_errors() {
    let pages = Pages::start();
    pages.set("a", Page::ok("a"));
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.jsonl");
    let missing = missing.to_str().unwrap();
    for flag in ["--skip-ok", "--revalidate", "--baseline", "--skip-done"] {
        let run = run([flag, missing, &pages.url("a")]);
        assert_eq!(run.status, Some(2), "{flag}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("cannot read {flag}")),
            "{}",
            run.stderr
        );
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    }
    let empty = records_file(dir.path(), "empty.jsonl", &[]);
    let run = crate::support::run(["--fail-on", "new", &pages.url("a")]);
    assert_eq!(run.status, Some(2));
    assert!(
        run.stderr.contains("--fail-on new needs --baseline"),
        "{}",
        run.stderr
    );
    let run = crate::support::run(["--max-age", "1d", &pages.url("a")]);
    assert_eq!(run.status, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("--skip-ok"), "{}", run.stderr);
    assert!(pages.seen().is_empty(), "no request before a usage error");
    // With their partners, the same flags run.
    let run = crate::support::run(["--fail-on", "new", "--baseline", &empty, &pages.url("a")]);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
}
