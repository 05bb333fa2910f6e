//! `--tls-info` and the facts `--cert-valid` checks: the leaf certificate
//! the server presented, parsed with x509-parser.
//!
//! Only the leaf: an old intermediate expiring first says nothing about the
//! site's own certificate (blackbox_exporter's min-over-chain trap).

use std::net::{Ipv4Addr, Ipv6Addr};

use x509_parser::extensions::GeneralName;
use x509_parser::objects::{oid_registry, oid2abbrev};
use x509_parser::x509::X509Name;

use crate::record::Cert;

/// Parses the DER of a leaf certificate; `now` is Unix seconds (with a
/// fraction) when the response arrived.
pub fn parse(der: &[u8], now: f64) -> Result<Cert, String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| format!("cannot parse the server's certificate: {e}"))?;
    let validity = cert.validity();
    let not_after = validity.not_after.timestamp();
    let mut sans = Vec::new();
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        for name in &ext.value.general_names {
            match name {
                GeneralName::DNSName(n) => sans.push((*n).to_owned()),
                GeneralName::IPAddress(b) => sans.extend(ip_text(b)),
                _ => {}
            }
        }
    }
    Ok(Cert {
        subject: rfc4514(cert.subject()),
        issuer: rfc4514(cert.issuer()),
        sans,
        not_before: validity.not_before.timestamp(),
        not_after,
        days_left: ((not_after as f64 - now) / 86_400.0 * 100.0).round() / 100.0,
    })
}

fn ip_text(b: &[u8]) -> Option<String> {
    match b.len() {
        4 => Some(Ipv4Addr::from(<[u8; 4]>::try_from(b).ok()?).to_string()),
        16 => Some(Ipv6Addr::from(<[u8; 16]>::try_from(b).ok()?).to_string()),
        _ => None,
    }
}

/// A distinguished name the way RFC 4514 writes it: the relative names in
/// the reverse of their DER order, joined with `, `; several attributes of
/// one name joined with `+`.
fn rfc4514(name: &X509Name<'_>) -> String {
    let registry = oid_registry();
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            let parts: Vec<String> = rdn
                .iter()
                .map(|attr| {
                    let key = oid2abbrev(attr.attr_type(), registry)
                        .map_or_else(|_| attr.attr_type().to_id_string(), str::to_owned);
                    let value = match attr.as_str() {
                        Ok(s) => s.to_owned(),
                        Err(_) => String::from_utf8_lossy(attr.as_slice()).into_owned(),
                    };
                    format!("{key}={}", escape(&value))
                })
                .collect();
            parts.join("+")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(", ")
}

/// RFC 4514 section 2.4 escaping of an attribute value.
fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let last = v.chars().count().saturating_sub(1);
    for (i, c) in v.chars().enumerate() {
        let special = matches!(c, '"' | '+' | ',' | ';' | '<' | '>' | '\\')
            || (i == 0 && matches!(c, '#' | ' '))
            || (i == last && c == ' ');
        if c == '\0' {
            out.push_str("\\00");
            continue;
        }
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_utc() {
        use crate::record::utc;
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(1_798_675_199), "2026-12-30T23:59:59Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(-1), "1969-12-31T23:59:59Z");
        assert_eq!(utc(253_402_300_799), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn values_are_escaped_as_rfc4514_says() {
        assert_eq!(escape("Let's Encrypt"), "Let's Encrypt");
        assert_eq!(escape("a,b+c"), "a\\,b\\+c");
        assert_eq!(escape("#x "), "\\#x\\ ");
        assert_eq!(escape(" "), "\\ ");
    }

    #[test]
    fn names_come_most_specific_first_and_sans_hold_names_and_ips() {
        use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, SanType};
        let mut params = CertificateParams::new(vec!["example.com".to_owned()]).unwrap();
        params
            .subject_alt_names
            .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
        params
            .subject_alt_names
            .push(SanType::IpAddress("::1".parse().unwrap()));
        // DER order: country first, as CAs write them.
        params.distinguished_name = DistinguishedName::new();
        let dn = &mut params.distinguished_name;
        dn.push(DnType::CountryName, "US");
        dn.push(DnType::OrganizationName, "Let's Encrypt");
        dn.push(DnType::CommonName, "R11");
        params.not_before = rcgen::date_time_ymd(2026, 10, 1);
        params.not_after = rcgen::date_time_ymd(2026, 12, 31);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let now = 1_798_675_199.0 - 86_400.0 * 29.214;
        let c = parse(cert.der(), now).unwrap();
        assert_eq!(c.subject, "CN=R11, O=Let's Encrypt, C=US");
        assert_eq!(c.issuer, c.subject);
        assert_eq!(c.sans, ["example.com", "127.0.0.1", "::1"]);
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["not_before"], "2026-10-01T00:00:00Z");
        assert_eq!(json["not_after"], "2026-12-31T00:00:00Z");
        assert_eq!(c.days_left, 29.21);
        assert_eq!(json["days_left"].to_string(), "29.21");
        assert!(parse(b"not der", now).is_err());
    }
}
