//! Input lines: any bytes, cut or not, give no record (blank, comment) or
//! one with a trimmed line and either an http(s) URL with a host or a reason.

#![no_main]

use fanout::input::{parse_line, parse_url};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for truncated in [false, true] {
        let Some((line, url)) = parse_line(data, truncated) else {
            // Skipped lines are blank or comments.
            let t = data.trim_ascii();
            let text = String::from_utf8_lossy(t);
            let text = text.trim();
            assert!(text.is_empty() || text.starts_with('#'), "{data:?} skipped");
            continue;
        };
        assert!(!line.is_empty());
        assert!(!line.starts_with('#'));
        match url {
            Ok(url) => {
                assert!(!truncated, "an overlong line is never a URL");
                assert_eq!(line, line.trim(), "accepted lines are trimmed");
                assert!(matches!(url.scheme(), "http" | "https"), "{url}");
                assert!(url.host().is_some(), "{url}");
                // The URL round-trips through its own text.
                assert_eq!(parse_url(url.as_str()).as_ref(), Ok(&url));
            }
            Err(reason) => assert!(!reason.is_empty()),
        }
    }
});
