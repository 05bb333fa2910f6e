//! `--input-format jsonl`: one request per line, a JSON object with `url`
//! and optionally `method`, `headers`, `body` or `body_base64`, and `id`.
//!
//! Parsed on the reader thread like plain lines, straight from the line's
//! bytes into what the fetcher needs (a `Method`, a `HeaderMap`, body
//! bytes): no intermediate JSON tree, and strings without escapes are
//! borrowed. A line that is not such an object is not an error of the run
//! but an `invalid_url` record whose message says what is wrong with it.
//! Pure functions over bytes, fuzzed (`fuzz/`) and property-tested.
//!
//! Keys other than the five are ignored, so a line may carry data of its
//! own (a CSV row's other columns) through to the join by `id`. An `"id":
//! null` is the same as no `id`.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::{Method, Url};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use super::filter::fnv1a64;
use super::jsonl_values::{HeadersSeed, Loose, Text};
use super::line::parse_url;
use super::{Item, MAX_LINE};

/// What a jsonl line asks for besides its URL.
#[derive(Debug, Default, Clone)]
pub struct LineRequest {
    /// The line's `method`, if it has one.
    pub method: Option<Method>,
    /// The line's `headers`, in order; a name may repeat.
    pub headers: HeaderMap,
    /// The line's `body` or decoded `body_base64`.
    pub body: Option<Bytes>,
    /// The line's `id`, echoed in its record; `Null` when it has none.
    pub id: Value,
}

/// One parsed jsonl line.
#[derive(Debug)]
pub struct JsonLine {
    /// The record's `url`: the line's `url`, or for a line without one the
    /// line itself (lossily decoded when not UTF-8).
    pub line: String,
    /// The URL, or why the line is not a request.
    pub url: Result<Url, String>,
    /// What else the line asks for; its `id` is kept even when the line is
    /// otherwise unusable, so the record still joins back.
    pub request: LineRequest,
}

impl JsonLine {
    /// The key `--shard`, `--dedup` and `--skip-done` use: the `id` when
    /// given (a string's text, else its compact JSON), else the record's
    /// `url`.
    pub fn key(&self) -> Cow<'_, str> {
        id_key(&self.request.id).unwrap_or(Cow::Borrowed(&self.line))
    }
}

/// The filter key of an `id`: a string's text, anything else as compact
/// JSON; `None` for `null` (no id).
pub fn id_key(id: &Value) -> Option<Cow<'_, str>> {
    match id {
        Value::Null => None,
        Value::String(s) => Some(Cow::Borrowed(s)),
        other => Some(Cow::Owned(other.to_string())),
    }
}

/// Parses one trimmed, non-blank, non-comment line (`truncated`: it was
/// longer than [`MAX_LINE`] and cut).
pub fn parse_json_line(t: &[u8], truncated: bool) -> JsonLine {
    let invalid = |message: String| JsonLine {
        line: String::from_utf8_lossy(t).into_owned(),
        url: Err(message),
        request: LineRequest::default(),
    };
    if truncated {
        return invalid(format!(
            "input line is longer than {} MiB; `url` holds its first {} MiB",
            MAX_LINE >> 20,
            MAX_LINE >> 20
        ));
    }
    let Ok(text) = std::str::from_utf8(t) else {
        return invalid("input line is not valid UTF-8".to_owned());
    };
    if !text.starts_with('{') {
        return invalid(match serde_json::from_str::<de::IgnoredAny>(text) {
            Ok(_) => "input line is JSON but not an object; write {\"url\": \"…\"}".to_owned(),
            Err(e) => format!("input line is not JSON: {e}"),
        });
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = de.deserialize_map(LineVisitor).and_then(|l| {
        de.end()?;
        Ok(l)
    });
    let fields = match parsed {
        Ok(fields) => fields,
        Err(e) => {
            use serde_json::error::Category;
            let message = match e.classify() {
                Category::Data => format!("input line is not a valid request: {e}"),
                _ => format!("input line is not JSON: {e}"),
            };
            return salvage(text, message);
        }
    };
    let Fields {
        url,
        method,
        headers,
        body,
        id,
    } = fields;
    let request = LineRequest {
        method,
        headers,
        body,
        id,
    };
    match url {
        Some(u) => JsonLine {
            url: parse_url(&u),
            line: u.into_owned(),
            request,
        },
        None => JsonLine {
            line: text.to_owned(),
            url: Err("input line has no `url`".to_owned()),
            request,
        },
    }
}

/// The record of a line that is JSON but not a valid request: its `url`
/// and `id` are kept when they can be read, so the record still joins
/// back to its line.
fn salvage(text: &str, message: String) -> JsonLine {
    #[derive(serde::Deserialize)]
    struct Loosely {
        #[serde(default)]
        url: Value,
        #[serde(default)]
        id: Value,
    }
    let (url, id) = match serde_json::from_str::<Loosely>(text) {
        Ok(Loosely {
            url: Value::String(u),
            id,
        }) => (Some(u), id),
        Ok(l) => (None, l.id),
        Err(_) => (None, Value::Null),
    };
    JsonLine {
        line: url.unwrap_or_else(|| text.to_owned()),
        url: Err(message),
        request: LineRequest {
            id,
            ..LineRequest::default()
        },
    }
}

/// The fields as read, before the `url` is checked.
struct Fields<'a> {
    url: Option<Cow<'a, str>>,
    method: Option<Method>,
    headers: HeaderMap,
    body: Option<Bytes>,
    id: Value,
}

struct LineVisitor;

impl<'de> Visitor<'de> for LineVisitor {
    type Value = Fields<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object with a `url`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields<'de>, A::Error> {
        let mut f = Fields {
            url: None,
            method: None,
            headers: HeaderMap::new(),
            body: None,
            id: Value::Null,
        };
        let (mut seen_headers, mut seen_id) = (false, false);
        let mut body_from = None;
        while let Some(key) = map.next_key::<Text>()? {
            let dup = || de::Error::custom(format_args!("`{}` appears twice", key.0));
            match &*key.0 {
                "url" => {
                    if f.url.is_some() {
                        return Err(dup());
                    }
                    f.url = Some(string(&mut map, "url")?);
                }
                "method" => {
                    if f.method.is_some() {
                        return Err(dup());
                    }
                    let m = string(&mut map, "method")?;
                    let m =
                        Method::from_bytes(m.to_ascii_uppercase().as_bytes()).map_err(|_| {
                            de::Error::custom(format_args!("`method` `{m}` is not an HTTP method"))
                        })?;
                    f.method = Some(m);
                }
                "headers" => {
                    if std::mem::replace(&mut seen_headers, true) {
                        return Err(dup());
                    }
                    map.next_value_seed(HeadersSeed(&mut f.headers))?;
                }
                "body" | "body_base64" => {
                    if let Some(first) = body_from.replace(key.0.clone()) {
                        return Err(de::Error::custom(if first == key.0 {
                            format!("`{first}` appears twice")
                        } else {
                            "give `body` or `body_base64`, not both".to_owned()
                        }));
                    }
                    let text = string(&mut map, &key.0)?;
                    f.body = Some(if key.0 == "body" {
                        Bytes::from(text.into_owned())
                    } else {
                        use base64::Engine;
                        let engine = base64::engine::general_purpose::STANDARD;
                        let bytes = engine.decode(text.as_bytes()).map_err(|e| {
                            de::Error::custom(format_args!("`body_base64` is not base64: {e}"))
                        })?;
                        Bytes::from(bytes)
                    });
                }
                "id" => {
                    if std::mem::replace(&mut seen_id, true) {
                        return Err(dup());
                    }
                    f.id = map.next_value()?;
                }
                _ => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(f)
    }
}

/// The next value, which must be a string; the error names the field.
fn string<'de, A: MapAccess<'de>>(map: &mut A, field: &str) -> Result<Cow<'de, str>, A::Error> {
    match map.next_value::<Loose<'de>>()? {
        Loose::Str(s) => Ok(s),
        _ => Err(de::Error::custom(format_args!(
            "`{field}` must be a string"
        ))),
    }
}

/// The [`Item`] of a jsonl line and its filter key's hash.
pub(super) fn item(index: u64, t: &[u8], truncated: bool) -> (u64, Item) {
    let parsed = parse_json_line(t, truncated);
    let key = fnv1a64(parsed.key().as_bytes());
    let JsonLine { line, url, request } = parsed;
    let item = Item {
        index,
        line,
        url,
        key,
        request: Some(Box::new(request)),
    };
    (key, item)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> JsonLine {
        parse_json_line(s.as_bytes(), false)
    }

    fn reason(s: &str) -> String {
        parse(s).url.expect_err(s)
    }

    #[test]
    fn a_full_line_gives_its_request() {
        let l = parse(
            r#"{"url":"https://a.test/x","method":"put","headers":{"X-A":["1","2"],"x-b":"3"},"body":"{}","id":{"n":1},"note":[1]}"#,
        );
        assert_eq!(l.url.unwrap().as_str(), "https://a.test/x");
        assert_eq!(l.line, "https://a.test/x");
        let r = l.request;
        assert_eq!(r.method, Some(Method::PUT));
        let xa: Vec<_> = r.headers.get_all("x-a").iter().collect();
        assert_eq!(xa, ["1", "2"]);
        assert_eq!(r.headers["x-b"], "3");
        assert_eq!(r.body.as_deref(), Some(&b"{}"[..]));
        assert_eq!(r.id, serde_json::json!({"n": 1}));
    }

    #[test]
    fn keys_are_the_id_text_or_compact_json_else_the_url() {
        assert_eq!(parse(r#"{"url":"http://a/","id":"row-7"}"#).key(), "row-7");
        assert_eq!(
            parse(r#"{"url":"http://a/","id":[1, {"b": 2}]}"#).key(),
            r#"[1,{"b":2}]"#
        );
        assert_eq!(parse(r#"{"url":"http://a/","id":null}"#).key(), "http://a/");
        assert_eq!(parse(r#"{"url":"http://a/"}"#).key(), "http://a/");
    }

    #[test]
    fn base64_bodies_are_decoded() {
        let l = parse(r#"{"url":"http://a/","body_base64":"/wA="}"#);
        assert_eq!(l.request.body.as_deref(), Some(&[0xff, 0][..]));
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        for (line, says) in [
            ("http://a/", "not JSON"),
            ("[1,2]", "not an object"),
            ("\"http://a/\"", "not an object"),
            ("{\"url\":", "not JSON"),
            ("{}", "no `url`"),
            (r#"{"url":3}"#, "`url` must be a string"),
            (r#"{"url":"ftp://a/"}"#, "unsupported scheme"),
            (
                r#"{"url":"http://a/","headers":{"x":1}}"#,
                "header `x` must be",
            ),
            (
                r#"{"url":"http://a/","headers":{"x":["1",2]}}"#,
                "header `x` must be",
            ),
            (
                r#"{"url":"http://a/","headers":{"bad name":"1"}}"#,
                "header name",
            ),
            (
                r#"{"url":"http://a/","headers":{"x":"a\nb"}}"#,
                "cannot carry",
            ),
            (r#"{"url":"http://a/","headers":"x"}"#, "headers"),
            (r#"{"url":"http://a/","body_base64":"***"}"#, "not base64"),
            (
                r#"{"url":"http://a/","body":"a","body_base64":"YQ=="}"#,
                "not both",
            ),
            (
                r#"{"url":"http://a/","method":"BAD METHOD"}"#,
                "not an HTTP method",
            ),
            (r#"{"url":"http://a/","url":"http://b/"}"#, "twice"),
            (r#"{"url":"http://a/"} x"#, "trailing"),
        ] {
            let why = reason(line);
            assert!(why.contains(says), "{line}: {why}");
        }
        let l = parse_json_line(b"{\"url\":\"http://a/\xff\"}", false);
        assert_eq!(l.url.unwrap_err(), "input line is not valid UTF-8");
        let l = parse_json_line(b"{\"url\":\"http://a/\"}", true);
        assert!(l.url.unwrap_err().contains("longer than 1 MiB"));
    }

    #[test]
    fn a_bad_line_keeps_its_id() {
        let l = parse(r#"{"id":"r1","url":"http://a/","headers":{"x":false}}"#);
        assert!(l.url.is_err());
        assert_eq!(l.request.id, "r1");
        assert_eq!(l.line, "http://a/");
    }

    #[test]
    fn header_values_are_never_quoted_in_messages() {
        let why =
            reason(r#"{"url":"http://a/","headers":{"authorization":"Bearer s3cret\u0001"}}"#);
        assert!(!why.contains("s3cret"), "{why}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!(
            "{{\"url\":\"http://a/\",\"id\":{}{}}}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert!(parse(&deep).url.is_err());
    }
}
