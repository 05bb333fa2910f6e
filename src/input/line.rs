//! One input line: read with a length cap, trimmed, skipped when blank or
//! a comment, and parsed into an `http`/`https` URL or the reason it is not
//! one. Pure functions over bytes, fuzzed (`fuzz/`).

use std::io::{self, BufRead};

use reqwest::Url;

use super::MAX_LINE;

/// The longest URL the HTTP client carries, in bytes: `http`'s `Uri`
/// (which reqwest turns every `Url` into) keeps offsets in a `u16` and
/// reserves `u16::MAX`, so it refuses anything longer than this.
pub const MAX_URL_LEN: usize = u16::MAX as usize - 1;

/// Why the client cannot carry `url`, when it is too long to.
pub fn too_long(url: &Url) -> Option<String> {
    let len = url.as_str().len();
    (len > MAX_URL_LEN).then(|| {
        format!("URL is {len} bytes, longer than the HTTP client carries ({MAX_URL_LEN} bytes)")
    })
}

/// Reads one line into `buf` without its `\n`, keeping at most `cap` bytes
/// (the rest of an overlong line is skipped). `Ok(None)` at the end of input,
/// else `Ok(Some(truncated))`. A last line without `\n` is still a line.
pub(super) fn read_line(
    r: &mut impl BufRead,
    buf: &mut Vec<u8>,
    cap: usize,
) -> io::Result<Option<bool>> {
    buf.clear();
    let mut truncated = false;
    let mut read_any = false;
    loop {
        let available = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(read_any.then_some(truncated));
        }
        read_any = true;
        let (chunk, used, done) = match memchr(b'\n', available) {
            Some(i) => (&available[..i], i + 1, true),
            None => (available, available.len(), false),
        };
        let room = cap.saturating_sub(buf.len());
        if chunk.len() > room {
            truncated = true;
        }
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        r.consume(used);
        if done {
            return Ok(Some(truncated));
        }
    }
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

/// Classifies one raw input line: `None` for blank and `#` comment lines,
/// else the trimmed line and its URL or the reason it is not one.
pub fn parse_line(raw: &[u8], truncated: bool) -> Option<(String, Result<Url, String>)> {
    trim_line(raw).map(|t| classify_line(t, truncated))
}

/// The line without surrounding whitespace (Unicode whitespace too when the
/// line is UTF-8); `None` for blank and `#` comment lines.
pub fn trim_line(raw: &[u8]) -> Option<&[u8]> {
    // A byte-order mark, as some editors write at the start of a file, is
    // not part of the URL.
    let raw = raw.strip_prefix("\u{feff}".as_bytes()).unwrap_or(raw);
    let mut t = raw.trim_ascii();
    if let Ok(s) = std::str::from_utf8(t) {
        t = s.trim().as_bytes();
    }
    match t.first() {
        None | Some(b'#') => None,
        Some(_) => Some(t),
    }
}

/// The record's `url` text for a trimmed line, and its URL or why it is
/// not one.
pub(super) fn classify_line(t: &[u8], truncated: bool) -> (String, Result<Url, String>) {
    if truncated {
        let line = String::from_utf8_lossy(t).into_owned();
        return (
            line,
            Err(format!(
                "input line is longer than {} MiB; `url` holds its first {} MiB",
                MAX_LINE >> 20,
                MAX_LINE >> 20
            )),
        );
    }
    match std::str::from_utf8(t) {
        // A JSON request line read as a bare URL.
        Ok(s) if s.starts_with('{') => (
            s.to_owned(),
            Err("input line is JSON, not a URL; did you mean --input-format jsonl?".to_owned()),
        ),
        Ok(s) => (s.to_owned(), parse_url(s)),
        Err(_) => (
            String::from_utf8_lossy(t).into_owned(),
            Err("input line is not valid UTF-8".to_owned()),
        ),
    }
}

/// Parses an absolute `http` or `https` URL; anything else is an error
/// message for an `invalid_url` record.
pub fn parse_url(s: &str) -> Result<Url, String> {
    // The URL parser would percent-encode inner whitespace (or drop it, for
    // tabs and newlines) and fetch a URL the user did not mean:
    // `http://h/ok # note` became `http://h/ok%20`. curl refuses such a
    // line too.
    // Bytes first: most lines are plain ASCII with nothing at or below a
    // space, and decoding every char costs per line.
    let suspect = s.bytes().any(|b| b <= b' ' || b >= 0x80);
    if let Some(at) = suspect.then(|| s.find(char::is_whitespace)).flatten() {
        return Err(if s[at..].trim_start().starts_with('#') {
            "inline comments are not supported: put a `#` comment on a line of its own".to_owned()
        } else {
            "URL contains whitespace; write a space in a URL as %20".to_owned()
        });
    }
    match Url::parse(s) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => match (u.host(), too_long(&u)) {
            (None, _) => Err("URL has no host".to_owned()),
            (Some(_), Some(why)) => Err(why),
            (Some(_), None) => Ok(u),
        },
        // `localhost:8080/x` parses as scheme `localhost`.
        Ok(_) if without_scheme(s) => Err(format!(
            "not an absolute URL: it needs a scheme; {}",
            with_scheme_hint(s)
        )),
        Ok(u) => Err(format!(
            "unsupported scheme `{}:`; only http and https URLs are fetched",
            u.scheme()
        )),
        Err(url::ParseError::RelativeUrlWithoutBase) if without_scheme(s) => Err(format!(
            "not an absolute URL: it needs a scheme; {}",
            with_scheme_hint(s)
        )),
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            Err("not an absolute URL: it needs a scheme such as https://".to_owned())
        }
        Err(e) => Err(format!("invalid URL: {e}")),
    }
}

/// Lines longer than this get the hint without themselves in it.
const HINT_MAX: usize = 200;

/// Whether `s` reads as `host[:port][/path]` written without a scheme: its
/// host part is `localhost`, has a dot or is followed by a port, and
/// `http://` in front makes it a URL. Only asked about lines that failed.
fn without_scheme(s: &str) -> bool {
    if s.contains("://") || s.starts_with('/') {
        return false;
    }
    let authority = s.split(['/', '?', '#']).next().unwrap_or_default();
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let hostlike = host.eq_ignore_ascii_case("localhost") || host.contains('.') || port.is_some();
    port_ok
        && hostlike
        && !host.is_empty()
        && !host.contains('@')
        && Url::parse(&format!("http://{s}")).is_ok_and(|u| too_long(&u).is_none())
}

fn with_scheme_hint(s: &str) -> String {
    if s.len() <= HINT_MAX {
        format!("did you mean http://{s}?")
    } else {
        "did you mean to start it with http://?".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use std::io::BufReader;

    use super::*;

    fn lines(input: &[u8], cap: usize) -> Vec<(Vec<u8>, bool)> {
        let mut r = BufReader::with_capacity(4, input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(t) = read_line(&mut r, &mut buf, cap).unwrap() {
            out.push((buf.clone(), t));
        }
        out
    }

    #[test]
    fn splits_lines_across_small_buffers() {
        let got = lines(b"ab\r\ncdefgh\n\nlast", 100);
        let want: Vec<(Vec<u8>, bool)> = vec![
            (b"ab\r".to_vec(), false),
            (b"cdefgh".to_vec(), false),
            (b"".to_vec(), false),
            (b"last".to_vec(), false),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn overlong_lines_are_cut_and_flagged_without_losing_the_next() {
        let got = lines(b"0123456789\nok\n", 4);
        assert_eq!(got, vec![(b"0123".to_vec(), true), (b"ok".to_vec(), false)]);
    }

    #[test]
    fn blank_and_comment_lines_are_skipped() {
        for raw in [
            &b""[..],
            b"   ",
            b"\t\r",
            b"# note",
            b"   # indented",
            b"\xc2\xa0 # nbsp",
        ] {
            assert!(parse_line(raw, false).is_none(), "{raw:?}");
        }
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_url() {
        let (line, url) = parse_line("\u{feff}http://a/x\r".as_bytes(), false).unwrap();
        assert_eq!(line, "http://a/x");
        assert!(url.is_ok());
        assert!(parse_line("\u{feff}# comment".as_bytes(), false).is_none());
    }

    #[test]
    fn lines_are_trimmed_and_parsed() {
        let (line, url) = parse_line(b"  http://127.0.0.1:8080/a \r", false).unwrap();
        assert_eq!(line, "http://127.0.0.1:8080/a");
        assert_eq!(url.unwrap().as_str(), "http://127.0.0.1:8080/a");
    }

    #[test]
    fn only_absolute_http_urls_are_accepted() {
        for bad in [
            "ftp://example.com/x",
            "file:///etc/passwd",
            "example.com/path",
            "/relative",
            "http://",
            "https://exa mple.com",
            "http://[::1",
            "mailto:someone@example.com",
        ] {
            let (line, url) = parse_line(bad.as_bytes(), false).unwrap();
            assert_eq!(line, bad);
            assert!(url.is_err(), "{bad} should be invalid");
        }
        for good in [
            "https://example.com",
            "http://127.0.0.1:1/x?q=1#f",
            "HTTP://EXAMPLE.COM",
        ] {
            assert!(parse_url(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn whitespace_inside_a_line_is_not_part_of_a_url() {
        let (_, url) = parse_line(b"http://a/ok # trailing comment", false).unwrap();
        assert!(
            url.unwrap_err()
                .contains("inline comments are not supported")
        );
        for bad in ["http://a/b c", "http://a/b\tc", "http://a/\u{a0}x"] {
            let err = parse_url(bad).unwrap_err();
            assert!(err.contains("whitespace"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn the_length_limit_is_the_http_clients() {
        let base = "http://h/";
        let of = |len: usize| format!("{base}{}", "a".repeat(len - base.len()));
        let longest = parse_url(&of(MAX_URL_LEN)).unwrap();
        assert!(http::Uri::try_from(longest.as_str()).is_ok());
        assert!(http::Uri::try_from(of(MAX_URL_LEN + 1)).is_err());
        let err = parse_url(&of(MAX_URL_LEN + 1)).unwrap_err();
        assert!(err.contains("65535 bytes"), "{err}");
        // The length that counts is the URL's as sent, once encoded.
        let spaced = format!("{base}{}", "\"".repeat(MAX_URL_LEN / 3));
        assert!(parse_url(&spaced).unwrap_err().contains("longer than"));
    }

    #[test]
    fn likely_fixes_are_suggested() {
        let hint = |line: &str| parse_line(line.as_bytes(), false).unwrap().1.unwrap_err();
        assert!(hint(r#"{"url":"http://a/"}"#).ends_with("did you mean --input-format jsonl?"));
        for (line, fixed) in [
            ("localhost:8080/x", "http://localhost:8080/x"),
            ("LOCALHOST/x", "http://LOCALHOST/x"),
            ("127.0.0.1:8080/path?q=1", "http://127.0.0.1:8080/path?q=1"),
            ("example.com/x", "http://example.com/x"),
            ("example.com:8080", "http://example.com:8080"),
            ("api:81/v1", "http://api:81/v1"),
            ("[::1]:8080/x", "http://[::1]:8080/x"),
        ] {
            let m = hint(line);
            assert!(
                m.ends_with(&format!("did you mean {fixed}?")),
                "{line}: {m}"
            );
        }
        for line in [
            "mailto:a@b.c",
            "ftp://example.com/x",
            "/relative",
            "word",
            "user@example.com:80/x",
            "urn:isbn:0451450523",
        ] {
            let m = hint(line);
            assert!(!m.contains("did you mean"), "{line}: {m}");
        }
        let long = format!("example.com/{}", "a".repeat(300));
        assert!(hint(&long).ends_with("did you mean to start it with http://?"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Whatever `parse_url` accepts, the HTTP client can carry.
        #[test]
        fn accepted_urls_are_uris(
            host in "[a-z0-9.-]{1,20}|\\[::1\\]|127\\.0\\.0\\.1",
            rest in "\\PC{0,40}",
        ) {
            if let Ok(u) = parse_url(&format!("http://{host}/{rest}")) {
                proptest::prop_assert!(http::Uri::try_from(u.as_str()).is_ok(), "{}", u);
            }
        }
    }

    #[test]
    fn invalid_utf8_is_a_record_not_a_crash() {
        let (line, url) = parse_line(b"http://a/\xff\xfe", false).unwrap();
        assert_eq!(line, "http://a/\u{fffd}\u{fffd}");
        assert_eq!(url.unwrap_err(), "input line is not valid UTF-8");
    }
}
