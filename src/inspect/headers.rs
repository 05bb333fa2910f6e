//! `--response-header NAME`: the final response's headers for the record,
//! by lower-case name, each an array of its values in wire order.

use reqwest::header::{HeaderMap, HeaderName};

use crate::record::Headers;

/// Which headers to keep: named ones (in the order first asked for), or
/// all of them (`*`), plus named ones that are absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderPick {
    /// `*` was given.
    pub all: bool,
    /// Named headers, without repeats.
    pub names: Vec<HeaderName>,
}

impl HeaderPick {
    /// From the flag's values; `*` means every header. Names are
    /// case-insensitive.
    pub fn parse<S: AsRef<str>>(values: &[S]) -> Result<HeaderPick, String> {
        let mut pick = HeaderPick::default();
        for v in values {
            let v = v.as_ref().trim();
            if v == "*" {
                pick.all = true;
                continue;
            }
            let name = HeaderName::from_bytes(v.as_bytes())
                .map_err(|_| format!("--response-header: invalid header name `{v}`"))?;
            if !pick.names.contains(&name) {
                pick.names.push(name);
            }
        }
        Ok(pick)
    }

    /// The record's `headers` object for a response's `headers`.
    pub fn pick(&self, headers: &HeaderMap) -> Headers {
        let mut out: Vec<(String, Option<Vec<String>>)> = Vec::new();
        let values = |name: &HeaderName| -> Vec<String> {
            headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect()
        };
        if self.all {
            for name in headers.keys() {
                out.push((name.as_str().to_owned(), Some(values(name))));
            }
        }
        for name in &self.names {
            if self.all && headers.contains_key(name) {
                continue;
            }
            let found = values(name);
            out.push((
                name.as_str().to_owned(),
                (!found.is_empty()).then_some(found),
            ));
        }
        Headers(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn named_headers_keep_their_order_and_all_values() {
        let h = map(&[
            ("Server", "nginx"),
            ("Set-Cookie", "a=1"),
            ("set-cookie", "b=2"),
        ]);
        let pick = HeaderPick::parse(&["SET-COOKIE", "x-absent", "server", "Server"]).unwrap();
        let json = serde_json::to_string(&pick.pick(&h)).unwrap();
        assert_eq!(
            json,
            r#"{"set-cookie":["a=1","b=2"],"x-absent":null,"server":["nginx"]}"#
        );
    }

    #[test]
    fn star_takes_every_header_and_still_names_the_absent() {
        let h = map(&[("server", "nginx"), ("x-a", "1")]);
        let pick = HeaderPick::parse(&["*", "server", "x-none"]).unwrap();
        let json = serde_json::to_string(&pick.pick(&h)).unwrap();
        assert_eq!(json, r#"{"server":["nginx"],"x-a":["1"],"x-none":null}"#);
        assert!(HeaderPick::parse(&["bad name"]).is_err());
    }

    #[test]
    fn debug_shows_no_values() {
        let h = map(&[("authorization", "Bearer s3cret")]);
        let picked = HeaderPick::parse(&["*"]).unwrap().pick(&h);
        assert!(!format!("{picked:?}").contains("s3cret"));
    }
}
