//! The reader of earlier records: what counts, what is kept, what it costs.

use super::*;

fn load(text: &str, wants: Wants) -> Earlier {
    Earlier::load(text.as_bytes(), wants).unwrap()
}

fn key(s: &str) -> u64 {
    fnv1a64(s.as_bytes())
}

#[test]
fn final_records_count_and_a_torn_line_is_skipped() {
    let file = concat!(
        r#"{"index":0,"url":"http://a/","ok":true,"error":null}"#,
        "\n",
        r#"{"index":1,"url":"http://b/","ok":false,"error":{"kind":"cancelled","message":"x"}}"#,
        "\n",
        r#"{"index":2,"url":"http://c/","ok":false,"error":{"kind":"status","message":"x"}}"#,
        "\n",
        r#"{"index":3,"url":"http://d/","ok":false,"error":{"kind":"circuit_open","message":"x"}}"#,
        "\n",
        r#"{"index":5,"url":"http://f/","ok":false,"error":{"kind":"save","message":"x"}}"#,
        "\n",
        "\n",
        r#"{"index":4,"url":"http://e/","ok":tr"#,
    );
    let t = load(file, Wants::default());
    assert_eq!(t.len(), 2);
    assert!(t.contains(key("http://a/")) && t.contains(key("http://c/")));
    for missing in ["http://b/", "http://d/", "http://e/", "http://f/"] {
        assert!(!t.contains(key(missing)), "{missing}");
    }
    assert_eq!((t.unreadable, t.first_unreadable, t.lines), (1, Some(7), 7));
}

#[test]
fn the_last_final_record_of_a_key_wins() {
    let mut file = String::new();
    // Enough lines to compact several times on the way.
    for run in 0..3u16 {
        for i in 0..40_000 {
            let ok = (i + run as usize) % 2 == 0;
            file.push_str(&format!(
                r#"{{"url":"http://h/{i}","ok":{ok},"status":{},"error":{}}}"#,
                200 + run,
                if ok {
                    "null"
                } else {
                    r#"{"kind":"status","message":"m"}"#
                }
            ));
            file.push('\n');
        }
    }
    // A later cancelled record does not hide the final one before it.
    file.push_str(
        r#"{"url":"http://h/7","ok":false,"status":null,"error":{"kind":"cancelled","message":"m"}}"#,
    );
    let t = load(&file, Wants::default());
    assert_eq!(t.len(), 40_000);
    for i in [0usize, 1, 7, 39_999] {
        let p = t.get(key(&format!("http://h/{i}"))).unwrap();
        assert_eq!(p.status, Some(202), "{i}");
        assert_eq!(p.ok, (i + 2) % 2 == 0, "{i}");
    }
}

#[test]
fn keys_are_ids_when_records_have_them() {
    let file = concat!(
        r#"{"url":"http://a/","ok":true,"error":null,"id":"row-1"}"#,
        "\n",
        r#"{"url":"http://b/","ok":true,"error":null,"id":7}"#,
        "\n",
        r#"{"url":"http://c/","ok":true,"error":null,"id":null}"#,
    );
    let t = load(file, Wants::default());
    assert!(t.contains(key("row-1")) && t.contains(key("7")) && t.contains(key("http://c/")));
    assert!(!t.contains(key("http://a/")));
}

#[test]
fn facts_and_extras_are_kept_only_when_wanted() {
    let sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let line = format!(
        r#"{{"url":"http://a/","ok":true,"status":200,"error":null,"headers":{{"etag":["\"v1\""],"last-modified":["Tue, 01 Dec 2026 10:00:00 GMT"],"server":["x"]}},"started_at":"2026-12-06T09:41:03.123Z","sha256":"{sha}"}}
{{"url":"http://b/","ok":true,"status":204,"error":null,"headers":{{"etag":null,"last-modified":null}},"started_at":null,"sha256":null}}
"#
    );
    let bare = load(&line, Wants::default());
    let a = bare.get(key("http://a/")).unwrap();
    assert_eq!(a.started_at, Some(Stamp(1_796_550_063_123)));
    assert_eq!(
        (a.ok, a.status, a.sha256, a.etag),
        (true, Some(200), None, None)
    );
    assert_eq!(bare.extras.capacity(), 0, "nothing out of line");

    let all = Wants {
        sha256: true,
        validators: true,
    };
    let full = load(&line, all);
    let a = full.get(key("http://a/")).unwrap();
    assert_eq!(a.sha256.map(|d| d.to_string()).as_deref(), Some(sha));
    assert_eq!(a.etag, Some("\"v1\""));
    assert_eq!(a.last_modified, Some("Tue, 01 Dec 2026 10:00:00 GMT"));
    let b = full.get(key("http://b/")).unwrap();
    assert_eq!(
        (b.status, b.started_at, b.sha256, b.etag, b.last_modified),
        (Some(204), None, None, None, None)
    );
    assert!(full.get(key("http://c/")).is_none());
}

#[test]
fn extras_survive_compaction() {
    let wants = Wants {
        sha256: true,
        validators: true,
    };
    let mut file = String::new();
    for run in 0..2 {
        for i in 0..(FIRST_COMPACTION + 10) {
            let etag = if i % 3 == 0 {
                format!(r#"["\"{run}-{i}\""]"#)
            } else {
                "null".into()
            };
            file.push_str(&format!(
                r#"{{"url":"http://h/{i}","ok":true,"error":null,"headers":{{"etag":{etag}}}}}"#
            ));
            file.push('\n');
        }
    }
    let t = load(&file, wants);
    for i in [0usize, 3, 4, FIRST_COMPACTION + 9] {
        let p = t.get(key(&format!("http://h/{i}"))).unwrap();
        let want = (i % 3 == 0).then(|| format!("\"1-{i}\""));
        assert_eq!(p.etag, want.as_deref(), "{i}");
    }
}

/// The cost the module's header promises: 24 bytes a key for `--skip-ok`
/// and `--baseline` (no extras), whatever the number of keys.
#[test]
fn a_key_costs_24_bytes_without_extras() {
    assert_eq!(std::mem::size_of::<Slot>(), 24);
    let mut file = String::new();
    for i in 0..100_000 {
        file.push_str(&format!(
            r#"{{"index":{i},"url":"https://example.com/page/{i}","final_url":null,"ok":true,"status":200,"attempts":1,"elapsed_ms":1.5,"ttfb_ms":1.0,"bytes":10,"content_type":null,"http_version":"HTTP/1.1","remote_addr":null,"redirects":0,"error":null,"started_at":"2026-12-06T09:41:03.123Z","sha256":null}}"#
        ));
        file.push('\n');
    }
    let t = load(
        &file,
        Wants {
            sha256: true,
            validators: false,
        },
    );
    assert_eq!(t.len(), 100_000);
    let per_key = t.heap_bytes() as f64 / t.len() as f64;
    assert!(per_key <= 24.0, "{per_key} bytes per key");
}
