//! `--expect-header 'NAME: REGEX'`: the final response has header NAME and
//! one of its values matches REGEX; an empty REGEX only asks that it is
//! there.

use reqwest::header::{HeaderMap, HeaderName};

/// Headers whose values are never shown in a message.
const SECRET: [&str; 4] = [
    "authorization",
    "cookie",
    "set-cookie",
    "proxy-authorization",
];

/// One `--expect-header` check.
#[derive(Debug, Clone)]
pub struct ExpectHeader {
    name: HeaderName,
    /// `None` for an empty REGEX: presence is enough.
    pattern: Option<regex::bytes::Regex>,
}

impl ExpectHeader {
    /// Parses `NAME: REGEX` (the name case-insensitive, blanks around the
    /// REGEX trimmed).
    pub fn parse(s: &str) -> Result<ExpectHeader, String> {
        let (name, re) = s
            .split_once(':')
            .ok_or_else(|| format!("--expect-header `{s}`: want 'NAME: REGEX'"))?;
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| format!("--expect-header `{s}`: invalid header name"))?;
        let re = re.trim();
        let pattern = match re {
            "" => None,
            re => Some(
                regex::bytes::Regex::new(re)
                    .map_err(|e| format!("--expect-header `{s}`: invalid regex: {e}"))?,
            ),
        };
        Ok(ExpectHeader { name, pattern })
    }

    /// `None` when `headers` pass; else what was found.
    pub fn failure(&self, headers: &HeaderMap) -> Option<String> {
        let flag = self.flag();
        let values = headers.get_all(&self.name);
        if values.iter().next().is_none() {
            return Some(format!("header {} is missing ({flag})", self.name));
        }
        let pattern = self.pattern.as_ref()?;
        if values.iter().any(|v| pattern.is_match(v.as_bytes())) {
            return None;
        }
        let shown = if SECRET.contains(&self.name.as_str()) {
            "(values not shown)".to_owned()
        } else {
            let quoted: Vec<String> = values
                .iter()
                .map(|v| format!("`{}`", String::from_utf8_lossy(v.as_bytes())))
                .collect();
            quoted.join(", ")
        };
        Some(format!(
            "header {} is {shown}, which does not match {flag}",
            self.name
        ))
    }

    fn flag(&self) -> String {
        let re = self.pattern.as_ref().map_or("", |p| p.as_str());
        format!("--expect-header '{}: {re}'", self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
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
    fn one_matching_value_is_enough() {
        let h = headers(&[("X-Version", "v1"), ("x-version", "v2.3")]);
        let c = ExpectHeader::parse("x-VERSION: ^v2\\.").unwrap();
        assert_eq!(c.failure(&h), None);
        let c = ExpectHeader::parse("X-Version:^v3").unwrap();
        assert_eq!(
            c.failure(&h).unwrap(),
            "header x-version is `v1`, `v2.3`, which does not match --expect-header 'x-version: ^v3'"
        );
    }

    #[test]
    fn an_empty_regex_asks_only_for_presence() {
        let c = ExpectHeader::parse("Strict-Transport-Security:").unwrap();
        assert_eq!(
            c.failure(&headers(&[("strict-transport-security", "")])),
            None
        );
        assert_eq!(
            c.failure(&headers(&[])).unwrap(),
            "header strict-transport-security is missing (--expect-header 'strict-transport-security: ')"
        );
    }

    #[test]
    fn secret_values_stay_out_of_messages() {
        let c = ExpectHeader::parse("Set-Cookie: ^session=").unwrap();
        let m = c
            .failure(&headers(&[("set-cookie", "token=s3cret")]))
            .unwrap();
        assert!(!m.contains("s3cret"), "{m}");
    }

    #[test]
    fn bad_checks_are_refused() {
        for bad in ["no colon", "bad name: x", "x-a: ("] {
            assert!(ExpectHeader::parse(bad).is_err(), "{bad}");
        }
    }
}
