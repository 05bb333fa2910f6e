//! jsonl input lines: any bytes, cut or not, give a record `url` and either
//! an http(s) URL with its request or a reason — never a panic. The filter
//! key is the id's text or compact JSON when there is an id, else the url.

#![no_main]

use fanout::input::{id_key, parse_json_line, parse_url};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for truncated in [false, true] {
        let l = parse_json_line(data, truncated);
        match &l.url {
            Ok(url) => {
                assert!(!truncated, "an overlong line is never a request");
                assert!(matches!(url.scheme(), "http" | "https"), "{url}");
                assert_eq!(parse_url(&l.line).as_ref(), Ok(url), "url is the line's");
            }
            Err(reason) => assert!(!reason.is_empty()),
        }
        let key = l.key();
        match id_key(&l.request.id) {
            Some(id) => assert_eq!(key, id),
            None => assert_eq!(key, l.line.as_str()),
        }
    }
});
