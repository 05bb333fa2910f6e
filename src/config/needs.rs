//! What a run needs, derived once from its [`Config`]: whether it holds
//! bodies, keeps headers or certificates, times hops, and which optional
//! keys its records carry.
//!
//! Every part of the fetcher asks [`Needs`]; none works these rules out
//! again from the raw flags. A new check or a new optional field is one
//! edit here, plus its own module.

use crate::record::Record;

use super::Config;

/// What the flags of a run ask the fetcher to keep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// Hold the body in memory (up to `--max-body`): `--body`, `--expect`
    /// and `--expect-jq` read it.
    pub body: bool,
    /// Keep the final response's headers: `--response-header` and
    /// `--expect-header` read them.
    pub headers: bool,
    /// Keep the leaf certificate: `--tls-info` and `--cert-valid` read it.
    pub cert: bool,
    /// Time each hop and claim its connection: `--timings`.
    pub timings: bool,
    /// Run `--expect-jq` over the body, within the attempt.
    pub jq: bool,
    /// Hash the body as it streams: `--hash`.
    pub hash: bool,
    /// Note the wall clock when the first attempt starts: `--timestamps`
    /// (which `--skip-ok` implies).
    pub timestamps: bool,
    /// Keep the final response's `etag` and `last-modified` for the
    /// record's `headers`: `--revalidate`.
    pub validators: bool,
    /// The optional keys of every record of the run.
    pub fields: Fields,
}

impl Needs {
    /// Works the needs out from `config`: the one place these rules live.
    pub fn of(config: &Config) -> Needs {
        let (s, i, o) = (&config.success, &config.inspect, &config.output);
        let r = &config.remember;
        let validators = r.revalidate.is_some();
        Needs {
            body: o.keep_body || s.expect.is_some() || !s.expect_jq.is_empty(),
            headers: i.response_headers.is_some() || !s.expect_headers.is_empty() || validators,
            cert: i.tls_info || s.cert_valid.is_some(),
            timings: i.timings,
            jq: !s.expect_jq.is_empty(),
            hash: r.hash,
            timestamps: r.timestamps,
            validators,
            fields: Fields {
                id: config.request.per_line,
                request_id: config.protection.request_id.is_some(),
                method: config.request.head_then_get,
                timings: i.timings,
                tls: i.tls_info,
                headers: i.response_headers.is_some() || validators,
                started_at: r.timestamps,
                sha256: r.hash,
                saved_to: config.save.is_some(),
                change: r.baseline.is_some(),
                body: o.keep_body,
            },
        }
    }

    /// Whether an attempt keeps anything of its final response beyond the
    /// record's own fields (a `Seen`, in the fetcher).
    pub fn inspects(&self) -> bool {
        self.headers || self.cert || self.timings || self.jq
    }
}

/// Which optional keys the records of a run carry: each one its flag asks
/// for is in every record, `null` where it does not apply; the others are
/// in none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fields {
    /// `id`: the run reads `--input-format jsonl`.
    pub id: bool,
    /// `request_id`: `--request-id`.
    pub request_id: bool,
    /// `method`: a method list (`-X HEAD,GET`).
    pub method: bool,
    /// `timings`: `--timings`.
    pub timings: bool,
    /// `tls`: `--tls-info`.
    pub tls: bool,
    /// `headers`: `--response-header`, `--revalidate`.
    pub headers: bool,
    /// `started_at`: `--timestamps`, `--skip-ok`.
    pub started_at: bool,
    /// `sha256`: `--hash`.
    pub sha256: bool,
    /// `saved_to`: `-o`.
    pub saved_to: bool,
    /// `change`: `--baseline`.
    pub change: bool,
    /// `body` (and `body_encoding` for a binary one): `--body`.
    pub body: bool,
}

impl Fields {
    /// Gives `record` exactly the optional keys of the run: a key asked for
    /// and not filled in becomes `null`, a key not asked for goes. Every
    /// record passes here, made with a request or without one.
    pub fn settle(&self, record: &mut Record) {
        fn keep<T>(asked: bool, slot: &mut Option<Option<T>>) {
            match asked {
                true => _ = slot.get_or_insert(None),
                false => *slot = None,
            }
        }
        match self.id {
            true => _ = record.id.get_or_insert(serde_json::Value::Null),
            false => record.id = None,
        }
        keep(self.request_id, &mut record.request_id);
        keep(self.method, &mut record.method);
        keep(self.timings, &mut record.timings);
        keep(self.tls, &mut record.tls);
        keep(self.headers, &mut record.headers);
        keep(self.started_at, &mut record.started_at);
        keep(self.sha256, &mut record.sha256);
        keep(self.saved_to, &mut record.saved_to);
        keep(self.change, &mut record.change);
        keep(self.body, &mut record.body);
        if !self.body || !matches!(record.body, Some(Some(_))) {
            record.body_encoding = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::ErrorKind;

    fn bare() -> Record {
        Record::without_request(0, "x".into(), ErrorKind::InvalidUrl, "m".into())
    }

    #[test]
    fn asked_keys_are_null_and_others_absent() {
        let all = Fields {
            id: true,
            request_id: true,
            method: true,
            timings: true,
            tls: true,
            headers: true,
            started_at: true,
            sha256: true,
            saved_to: true,
            change: true,
            body: true,
        };
        let mut r = bare();
        all.settle(&mut r);
        let json = serde_json::to_string(&r).unwrap();
        assert!(
            json.ends_with(
                r#""id":null,"request_id":null,"method":null,"timings":null,"tls":null,"headers":null,"started_at":null,"sha256":null,"saved_to":null,"change":null,"body":null}"#
            ),
            "{json}"
        );
        let mut r = bare();
        r.request_id = Some(Some("stray".into()));
        r.body = Some(Some("stray".into()));
        r.body_encoding = Some("base64");
        Fields::default().settle(&mut r);
        let json = serde_json::to_string(&r).unwrap();
        assert!(
            json.ends_with(r#""error":{"kind":"invalid_url","message":"m"}}"#),
            "{json}"
        );
    }

    #[test]
    fn values_filled_in_are_kept() {
        let mut r = bare();
        r.request_id = Some(Some("abc".into()));
        r.set_body(vec![0xff]);
        Fields {
            request_id: true,
            body: true,
            ..Fields::default()
        }
        .settle(&mut r);
        assert_eq!(r.request_id, Some(Some("abc".into())));
        assert_eq!(r.body_encoding, Some("base64"));
    }

    #[test]
    fn needs_follow_the_flags() {
        let mut c = Config::default();
        assert_eq!(Needs::of(&c), Needs::default());
        assert!(!Needs::of(&c).inspects());
        c.output.keep_body = true;
        c.inspect.tls_info = true;
        let n = Needs::of(&c);
        assert!(n.body && n.cert && !n.headers && n.inspects());
        assert!(n.fields.body && n.fields.tls && !n.fields.saved_to);
    }

    #[test]
    fn runs_that_remember_ask_for_their_keys() {
        let mut c = Config::default();
        c.remember.hash = true;
        c.remember.timestamps = true;
        let n = Needs::of(&c);
        assert!(n.hash && n.timestamps && !n.validators && !n.headers);
        assert!(n.fields.sha256 && n.fields.started_at && !n.fields.change);
        c.remember.revalidate = Some(Default::default());
        c.remember.baseline = Some(Default::default());
        let n = Needs::of(&c);
        assert!(n.validators && n.headers && n.fields.headers && n.fields.change);
        assert!(
            !n.inspects() || n.headers,
            "headers are kept from the response"
        );
    }
}
