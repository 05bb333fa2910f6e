//! Retry-After values: seconds or an HTTP date, anything else `None`, never
//! a panic, and a date never asks for longer than it is away.

#![no_main]

use std::time::{Duration, SystemTime};

use fanout::retry::parse_retry_after;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    let nows = [
        SystemTime::UNIX_EPOCH,
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_799),
    ];
    for now in nows {
        let got = parse_retry_after(s, now);
        let t = s.trim();
        if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            assert!(got.is_some(), "{s:?} is a number of seconds");
        }
        if let (Some(wait), Ok(when)) = (got, httpdate::parse_http_date(t)) {
            let away = when.duration_since(now).unwrap_or(Duration::ZERO);
            assert_eq!(wait, away, "{s:?}");
        }
    }
});
