//! The JSON values of a jsonl line as fanout wants them: strings borrowed
//! from the line where possible, any value sorted into string / array of
//! strings / other (so an error can name the field instead of serde's
//! "invalid type"), and `headers` appended straight into a `HeaderMap`.

use std::borrow::Cow;
use std::fmt;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// A string, borrowed from the line when it has no escapes.
pub(super) struct Text<'a>(pub(super) Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Loose::deserialize(d)? {
            Loose::Str(s) => Ok(Text(s)),
            _ => Err(de::Error::custom("expected a string")),
        }
    }
}

/// Any JSON value, sorted into what a field may be: a string, an array
/// of strings, or something else — so the caller can say which field
/// was wrong instead of serde's "invalid type".
pub(super) enum Loose<'a> {
    Str(Cow<'a, str>),
    Strs(Vec<String>),
    Other,
}

impl<'de> de::Deserialize<'de> for Loose<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Loose<'de>, E> {
        Ok(Loose::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Loose<'de>, E> {
        Ok(Loose::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Loose<'de>, E> {
        Ok(Loose::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Loose<'de>, E> {
        Ok(Loose::Other)
    }
    fn visit_unit<E>(self) -> Result<Loose<'de>, E> {
        Ok(Loose::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Loose<'de>, A::Error> {
        let mut out = Some(Vec::new());
        while let Some(v) = s.next_element::<Loose>()? {
            match (v, &mut out) {
                (Loose::Str(t), Some(out)) => out.push(t.into_owned()),
                _ => out = None,
            }
        }
        Ok(out.map_or(Loose::Other, Loose::Strs))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Loose<'de>, A::Error> {
        while m.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
        Ok(Loose::Other)
    }
}

/// `headers`: an object of name → string or array of strings, appended to
/// the map in order.
pub(super) struct HeadersSeed<'m>(pub(super) &'m mut HeaderMap);

impl<'de> DeserializeSeed<'de> for HeadersSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for HeadersSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("`headers` as an object of name → string or array of strings")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(name) = map.next_key::<Text>()? {
            let header = HeaderName::from_bytes(name.0.as_bytes()).map_err(|_| {
                de::Error::custom(format_args!("header name `{}` is not valid", name.0))
            })?;
            let bad = || {
                de::Error::custom(format_args!(
                    "header `{}` must be a string or an array of strings",
                    name.0
                ))
            };
            // Values are never quoted in messages: they may be credentials.
            let value = |text: &str| {
                HeaderValue::from_str(text).map_err(|_| {
                    de::Error::custom(format_args!(
                        "header `{}` has a value HTTP cannot carry (a control character?)",
                        name.0
                    ))
                })
            };
            match map.next_value::<Loose>()? {
                Loose::Str(v) => {
                    self.0.append(header, value(&v)?);
                }
                Loose::Strs(vs) => {
                    for v in vs {
                        self.0.append(header.clone(), value(&v)?);
                    }
                }
                Loose::Other => return Err(bad()),
            }
        }
        Ok(())
    }
}
