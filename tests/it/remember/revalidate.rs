//! `--revalidate FILE`: conditional requests from the records of FILE.

use super::*;
use crate::support::*;

const DATE: &str = "Tue, 01 Dec 2026 10:00:00 GMT";

#[test]
fn a_304_is_ok_with_status_304_no_bytes_and_the_hash_of_then() {
    let pages = Pages::start();
    pages.set("a", Page::ok("v1 body").etag("\"v1\"").last_modified(DATE));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("runs.jsonl");
    std::fs::write(&file, "").unwrap();
    let f = file.to_str().unwrap();
    let a = pages.url("a");
    let (status, first, err) = append_run(&["--revalidate", f, "--hash", &a], &file);
    assert_eq!(status, Some(0), "{err}");
    assert_eq!(first[0]["headers"]["etag"][0], "\"v1\"");
    assert_eq!(first[0]["headers"]["last-modified"][0], DATE);
    assert_eq!(pages.conditional(), 0, "nothing to revalidate yet");

    // --accept 200 does not take 304, and the body would fail --expect:
    // neither matters for a 304 that confirms the copy held.
    let args = [
        "--revalidate",
        f,
        "--hash",
        "--accept",
        "200",
        "--expect",
        "nowhere",
        &a,
    ];
    let (status, second, err) = append_run(&args, &file);
    assert_eq!(status, Some(0), "{err}");
    let r = &second[0];
    assert_eq!(
        (r["ok"].as_bool(), r["status"].as_u64(), r["bytes"].as_u64()),
        (Some(true), Some(304), Some(0))
    );
    assert_eq!(r["sha256"], first[0]["sha256"], "the content hashed then");
    assert_eq!(r["headers"]["etag"][0], "\"v1\"");
    // If-None-Match is preferred: If-Modified-Since is not sent with it.
    let seen = pages.hits("a");
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].if_none_match.as_deref(), Some("\"v1\""));
    assert_eq!(seen[1].if_modified_since, None);
    assert!(seen[1].not_modified);
}

#[test]
fn last_modified_is_the_fallback_and_carried_over_a_bare_304() {
    let pages = Pages::start();
    pages.set("b", Page::ok("b").last_modified(DATE).bare_304());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("runs.jsonl");
    std::fs::write(&file, "").unwrap();
    let f = file.to_str().unwrap();
    let b = pages.url("b");
    let args = ["--revalidate", f, "--response-header", "server", &b];
    for run in 0..3 {
        let (status, records, err) = append_run(&args, &file);
        assert_eq!(status, Some(0), "{err}");
        let h = &records[0]["headers"];
        // At least etag and last-modified, after the ones asked for.
        let names: Vec<&str> = h.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(names, ["server", "etag", "last-modified"]);
        assert!(h["etag"].is_null());
        assert_eq!(
            h["last-modified"][0], DATE,
            "run {run}: carried over, so >> FILE chains"
        );
        assert_eq!(records[0]["status"], if run == 0 { 200 } else { 304 });
    }
    let seen = pages.hits("b");
    assert_eq!(seen.len(), 3);
    for s in &seen[1..] {
        assert_eq!(
            (s.if_modified_since.as_deref(), s.if_none_match.as_deref()),
            (Some(DATE), None)
        );
        assert!(s.not_modified);
    }
}

#[test]
fn only_ok_records_with_a_validator_are_revalidated() {
    let pages = Pages::start();
    pages.set("failed", Page::ok("now fine").etag("\"f\""));
    pages.set("plain", Page::ok("no validators"));
    pages.set("changed", Page::ok("v2").etag("\"v2\""));
    let dir = tempfile::tempdir().unwrap();
    let headers = |etag: &str| {
        let etag = serde_json::to_string(etag).unwrap();
        format!(r#","headers":{{"etag":[{etag}],"last-modified":null}}"#)
    };
    let file = records_file(
        dir.path(),
        "earlier.jsonl",
        &[
            earlier(&pages.url("failed"), false, 500, &headers("\"f\"")),
            earlier(
                &pages.url("plain"),
                true,
                200,
                r#","headers":{"etag":null,"last-modified":null}"#,
            ),
            earlier(&pages.url("changed"), true, 200, &headers("\"v1\"")),
        ],
    );
    let urls = ["failed", "plain", "changed"].map(|n| pages.url(n));
    let run = fanout().args(["--revalidate", &file]).args(&urls).run();
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    assert!(pages.hits("failed")[0].if_none_match.is_none());
    assert!(pages.hits("plain")[0].if_none_match.is_none());
    // A stale ETag is sent and answered whole.
    assert_eq!(
        pages.hits("changed")[0].if_none_match.as_deref(),
        Some("\"v1\"")
    );
    let changed = of(&run.records, &urls[2]);
    assert_eq!(
        (changed["status"].as_u64(), changed["bytes"].as_u64()),
        (Some(200), Some(2))
    );
    assert_eq!(changed["headers"]["etag"][0], "\"v2\"");
}

#[test]
fn with_o_a_304_keeps_the_saved_file_and_a_200_replaces_it() {
    let pages = Pages::start();
    pages.set("doc", Page::ok("first version").etag("\"1\""));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mirror");
    let file = dir.path().join("runs.jsonl");
    std::fs::write(&file, "").unwrap();
    let (f, o, url) = (
        file.to_str().unwrap(),
        out.to_str().unwrap(),
        pages.url("doc"),
    );
    let args = ["--revalidate", f, "-o", o, &url];
    let (status, first, err) = append_run(&args, &file);
    assert_eq!(status, Some(0), "{err}");
    let saved = first[0]["saved_to"].as_str().unwrap().to_owned();
    let meta = std::fs::metadata(&saved).unwrap();

    let (status, second, err) = append_run(&args, &file);
    assert_eq!(status, Some(0), "{err}");
    assert_eq!(second[0]["status"], 304);
    assert_eq!(
        second[0]["saved_to"],
        saved.as_str(),
        "saved_to names the kept file"
    );
    assert_eq!(std::fs::read(&saved).unwrap(), b"first version");
    let again = std::fs::metadata(&saved).unwrap();
    assert_eq!(
        again.modified().unwrap(),
        meta.modified().unwrap(),
        "not replaced"
    );
    assert_eq!(again.ino_or_len(), meta.ino_or_len(), "not replaced");

    // The file is gone: no conditional request, the URL is fetched whole.
    std::fs::remove_file(&saved).unwrap();
    let (status, third, _) = append_run(&args, &file);
    assert_eq!((status, third[0]["status"].as_u64()), (Some(0), Some(200)));
    assert!(pages.hits("doc")[2].if_none_match.is_none());
    assert_eq!(std::fs::read(&saved).unwrap(), b"first version");

    // New content: a 200 replaces the file.
    pages.set("doc", Page::ok("second version").etag("\"2\""));
    let (status, fourth, _) = append_run(&args, &file);
    assert_eq!((status, fourth[0]["status"].as_u64()), (Some(0), Some(200)));
    assert_eq!(pages.hits("doc")[3].if_none_match.as_deref(), Some("\"1\""));
    assert_eq!(std::fs::read(&saved).unwrap(), b"second version");
    assert!(crate::save::temps_under(&out).is_empty());
}

/// What tells one file from another that replaced it.
trait Identity {
    fn ino_or_len(&self) -> u64;
}

impl Identity for std::fs::Metadata {
    #[cfg(unix)]
    fn ino_or_len(&self) -> u64 {
        std::os::unix::fs::MetadataExt::ino(self)
    }
    #[cfg(not(unix))]
    fn ino_or_len(&self) -> u64 {
        self.len()
    }
}
