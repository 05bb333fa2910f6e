//! Property tests for the parsers that take untrusted text: input lines,
//! durations, sizes, status lists and `Retry-After`. The same properties
//! as the fuzz targets in `fuzz/`, with few enough cases to run in
//! `cargo test`; inputs the fuzzers found are kept below as named
//! regression tests.

use std::time::{Duration, SystemTime};

use fanout::input::{parse_line, parse_url};
use fanout::output::{JsonlWriter, RecordWriter};
use fanout::record::{ErrorKind, Record};
use fanout::retry::{RetryPolicy, parse_retry_after};
use fanout::values::{Dur, Size, StatusSet};
use proptest::prelude::*;

/// Size units and what they multiply by.
const UNITS: [(&str, u64); 7] = [
    ("", 1),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
];

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    }
}

/// Whitespace that may surround a line, ASCII or not.
fn blank() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just(' '),
            Just('\t'),
            Just('\r'),
            Just('\u{a0}'),
            Just('\u{3000}')
        ],
        0..4,
    )
    .prop_map(|v| v.into_iter().collect())
}

/// The checks every parsed line must pass.
fn check_line(raw: &[u8], truncated: bool) -> Result<(), TestCaseError> {
    let Some((line, url)) = parse_line(raw, truncated) else {
        let text = String::from_utf8_lossy(raw.trim_ascii()).into_owned();
        let text = text.trim();
        prop_assert!(text.is_empty() || text.starts_with('#'), "{raw:?} skipped");
        return Ok(());
    };
    prop_assert!(!line.is_empty() && !line.starts_with('#'), "{line:?}");
    if let Ok(url) = url {
        prop_assert!(!truncated);
        prop_assert_eq!(line.trim(), line.as_str());
        prop_assert!(matches!(url.scheme(), "http" | "https"));
        prop_assert!(url.host().is_some());
        prop_assert_eq!(parse_url(url.as_str()), Ok(url));
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_bytes_are_a_line_or_skipped(
        raw in proptest::collection::vec(any::<u8>(), 0..200),
        truncated: bool,
    ) {
        check_line(&raw, truncated)?;
    }

    #[test]
    fn a_url_with_whitespace_around_it_is_that_url(
        before in blank(),
        after in blank(),
        scheme in prop_oneof![Just("http"), Just("https"), Just("HTTP")],
        host in "[a-z][a-z0-9-]{0,20}(\\.[a-z]{2,5})?",
        port in proptest::option::of(1u16..),
        path in "(/[a-zA-Z0-9._~%-]{0,10}){0,4}",
    ) {
        // Punycode labels must be valid punycode; these are not meant to be.
        prop_assume!(!host.contains("xn--"));
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        let url = format!("{scheme}://{host}{port}{path}");
        let raw = format!("{before}{url}{after}");
        check_line(raw.as_bytes(), false)?;
        let (line, parsed) = parse_line(raw.as_bytes(), false).expect("not skipped");
        prop_assert_eq!(&line, &url);
        let parsed = parsed.expect("a valid URL");
        prop_assert_eq!(parsed.host_str(), Some(host.as_str()));
    }

    #[test]
    fn comments_and_blanks_are_skipped(before in blank(), text in "[^\n]{0,40}") {
        let comment = format!("{before}#{text}");
        prop_assert!(parse_line(comment.as_bytes(), false).is_none());
        prop_assert!(parse_line(before.as_bytes(), false).is_none());
    }

    #[test]
    fn other_schemes_are_invalid(scheme in "[a-z][a-z0-9+.-]{0,8}", rest in "[a-z0-9/.]{0,20}") {
        prop_assume!(!matches!(scheme.as_str(), "http" | "https"));
        let raw = format!("{scheme}://{rest}");
        let (_, url) = parse_line(raw.as_bytes(), false).expect("not skipped");
        prop_assert!(url.is_err(), "{raw}");
    }

    #[test]
    fn any_text_is_a_duration_or_an_error(s in "\\PC{0,30}") {
        if let Ok(d) = s.parse::<Dur>() {
            prop_assert_eq!(d.to_string().parse::<Dur>(), Ok(d));
        }
    }

    #[test]
    fn durations_in_units_parse_exactly(n in 0u64..1_000_000_000) {
        prop_assert_eq!(format!("{n}ms").parse::<Dur>(), Ok(Dur(Duration::from_millis(n))));
        prop_assert_eq!(format!("{n}s").parse::<Dur>(), Ok(Dur(Duration::from_secs(n))));
        prop_assert_eq!(n.to_string().parse::<Dur>(), Ok(Dur(Duration::from_secs(n))));
        let d = Dur(Duration::from_millis(n));
        prop_assert_eq!(d.to_string().parse::<Dur>(), Ok(d));
    }

    #[test]
    fn any_text_is_a_size_or_an_error(s in "[0-9.]{0,25}[ a-zA-Z]{0,4}") {
        if let Ok(n) = s.parse::<Size>() {
            prop_assert_eq!(n.to_string().parse::<Size>(), Ok(n));
        }
    }

    #[test]
    fn sizes_in_units_parse_exactly(
        n in prop_oneof![0u64..100_000_000, any::<u64>()],
        unit in 0..UNITS.len(),
    ) {
        let (suffix, mult) = UNITS[unit];
        let parsed = format!("{n}{suffix}").parse::<Size>();
        match n.checked_mul(mult) {
            Some(bytes) => prop_assert_eq!(parsed, Ok(Size(bytes))),
            None => prop_assert!(parsed.is_err()),
        }
        prop_assert_eq!(Size(n).to_string().parse::<Size>(), Ok(Size(n)));
    }

    #[test]
    fn status_lists_hold_exactly_their_codes(
        parts in proptest::collection::vec((100u16..1000, 0u16..50), 1..6),
    ) {
        let text: Vec<String> = parts
            .iter()
            .map(|&(lo, len)| {
                let hi = (lo + len).min(999);
                if lo == hi { lo.to_string() } else { format!("{lo}-{hi}") }
            })
            .collect();
        let set: StatusSet = text.join(" , ").parse().expect("valid list");
        for code in 0..=1000u16 {
            let want = parts.iter().any(|&(lo, len)| (lo..=(lo + len).min(999)).contains(&code));
            prop_assert_eq!(set.contains(code), want, "{} at {}", set, code);
        }
        let again: StatusSet = set.as_str().parse().expect("normalised text parses");
        prop_assert_eq!(again, set);
    }

    #[test]
    fn any_text_is_a_status_list_or_an_error(s in "[0-9, -]{0,20}|\\PC{0,20}") {
        if let Ok(set) = s.parse::<StatusSet>() {
            prop_assert!(!set.contains(99) && !set.contains(1000));
            let again: StatusSet = set.as_str().parse().expect("normalised text parses");
            prop_assert_eq!(again, set);
        }
    }

    #[test]
    fn retry_after_seconds_and_dates(secs: u64, ahead in 0u64..100_000_000, junk in "\\PC{0,40}") {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        prop_assert_eq!(parse_retry_after(&secs.to_string(), now), Some(Duration::from_secs(secs)));
        let date = httpdate::fmt_http_date(now + Duration::from_secs(ahead));
        prop_assert_eq!(parse_retry_after(&date, now), Some(Duration::from_secs(ahead)));
        let date = httpdate::fmt_http_date(now - Duration::from_secs(ahead));
        prop_assert_eq!(parse_retry_after(&date, now), Some(Duration::ZERO));
        // Anything at all: no panic, and only digits or a date mean a wait.
        if let Some(wait) = parse_retry_after(&junk, now) {
            let t = junk.trim();
            let digits = !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
            prop_assert!(digits || httpdate::parse_http_date(t).is_ok(), "{junk:?} gave {wait:?}");
        }
    }

    #[test]
    fn backoff_waits_stay_under_their_cap(
        backoff_ms in 0u64..100_000_000,
        max_ms in 0u64..100_000_000,
        k in 1u32..,
    ) {
        let p = RetryPolicy {
            backoff: Duration::from_millis(backoff_ms),
            backoff_max: Duration::from_millis(max_ms),
            ..RetryPolicy::default()
        };
        let cap = p.backoff_cap(k);
        prop_assert!(cap <= p.backoff_max);
        prop_assert!(p.backoff_cap(k.saturating_add(1)) >= cap, "caps never shrink");
        prop_assert!(p.backoff_wait(k, &mut rand::rng()) <= cap);
    }

    #[test]
    fn any_record_is_one_line_of_json(
        url in "\\PC{0,40}|[\\x00-\\x7f]{0,40}",
        message in "\\PC{0,40}|[\\x00-\\x7f]{0,40}",
        body in proptest::collection::vec(any::<u8>(), 0..100),
        text_body in "\\PC{0,40}|[\\x00-\\x7f]{0,40}",
    ) {
        for body in [body.clone(), text_body.clone().into_bytes()] {
            let mut r = Record::without_request(7, url.clone(), ErrorKind::Other, message.clone());
            r.set_body(body.clone());
            let mut out = Vec::new();
            let mut w = JsonlWriter::new(&mut out);
            w.write(&r).unwrap();
            w.flush().unwrap();
            drop(w);
            prop_assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
            prop_assert_eq!(out.last(), Some(&b'\n'));
            let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
            prop_assert_eq!(&v["url"], url.as_str());
            prop_assert_eq!(&v["error"]["message"], message.as_str());
            let text = v["body"].as_str().unwrap();
            let decoded = if v.get("body_encoding").is_some() {
                prop_assert_eq!(&v["body_encoding"], "base64");
                prop_assert!(std::str::from_utf8(&body).is_err());
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.decode(text).unwrap()
            } else {
                text.as_bytes().to_vec()
            };
            prop_assert_eq!(decoded, body);
        }
    }
}

/// The checks every parsed jsonl line must pass.
fn check_json_line(raw: &[u8], truncated: bool) -> Result<(), TestCaseError> {
    use fanout::input::{id_key, parse_json_line};
    let l = parse_json_line(raw, truncated);
    match &l.url {
        Ok(url) => {
            prop_assert!(!truncated);
            prop_assert!(matches!(url.scheme(), "http" | "https"));
            let again = parse_url(&l.line);
            prop_assert_eq!(again.as_ref(), Ok(url));
        }
        Err(reason) => prop_assert!(!reason.is_empty()),
    }
    let key = l.key();
    match id_key(&l.request.id) {
        Some(id) => prop_assert_eq!(key, id),
        None => prop_assert_eq!(key.as_ref(), l.line.as_str()),
    }
    Ok(())
}

/// A JSON value of any shape, a few levels deep.
fn any_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{Value, json};
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z]{1,4}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_bytes_are_a_json_line_or_a_reason(raw in proptest::collection::vec(any::<u8>(), 0..200)) {
        check_json_line(&raw, false)?;
        check_json_line(&raw, true)?;
    }

    #[test]
    fn any_object_is_a_request_or_a_reason(
        url in prop_oneof![Just("http://a.test/x".to_owned()), "\\PC{0,20}"],
        method in proptest::option::of("[A-Za-z ]{0,8}"),
        headers in proptest::option::of(any_json()),
        body in proptest::option::of(any_json()),
        id in proptest::option::of(any_json()),
    ) {
        let mut line = serde_json::json!({"url": url});
        for (k, v) in [("method", method.map(serde_json::Value::String)), ("headers", headers), ("body", body), ("id", id.clone())] {
            if let Some(v) = v {
                line[k] = v;
            }
        }
        let text = line.to_string();
        check_json_line(text.as_bytes(), false)?;
        // The id comes back whatever else is wrong with the line.
        let parsed = fanout::input::parse_json_line(text.as_bytes(), false);
        prop_assert_eq!(parsed.request.id, id.unwrap_or_default());
        prop_assert_eq!(parsed.line, url);
    }

    #[test]
    fn well_formed_lines_give_their_request(
        path in "[a-z0-9/]{0,20}",
        values in proptest::collection::vec("[ -~]{0,12}", 1..4),
        body in "\\PC{0,40}",
    ) {
        let line = serde_json::json!({
            "url": format!("https://a.test/{path}"),
            "headers": {"x-v": values},
            "body": body,
        });
        let l = fanout::input::parse_json_line(line.to_string().as_bytes(), false);
        prop_assert!(l.url.is_ok(), "{:?}", l.url);
        let got: Vec<String> = l.request.headers.get_all("x-v").iter()
            .map(|v| v.to_str().unwrap().trim().to_owned()).collect();
        let want: Vec<String> = values.iter().map(|v| v.trim().to_owned()).collect();
        prop_assert_eq!(got, want);
        prop_assert_eq!(l.request.body.as_deref(), Some(body.as_bytes()));
    }
}
