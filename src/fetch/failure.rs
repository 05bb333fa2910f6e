//! Error kinds from the HTTP stack's errors: which layer failed (DNS,
//! connect, TLS, the response head, the body), and a one-line message.

use crate::record::ErrorKind;

/// A transport-level failure of an attempt.
pub(super) struct Failure {
    pub(super) kind: ErrorKind,
    pub(super) message: String,
    /// False only when the request certainly never reached the server.
    pub(super) maybe_sent: bool,
    /// Another attempt cannot end otherwise, whatever the kind usually
    /// means (a name that does not exist).
    pub(super) permanent: bool,
}

impl Failure {
    pub(super) fn redirect(message: String) -> Failure {
        Failure {
            kind: ErrorKind::Redirect,
            message,
            maybe_sent: true,
            permanent: false,
        }
    }
}

/// Maps an error from sending a request (before a response head arrived).
pub(super) fn classify_send_error(e: &reqwest::Error) -> Failure {
    if e.is_builder() {
        return unsendable(e);
    }
    if e.is_dns() {
        let (message, permanent) = describe_dns(e);
        return Failure {
            kind: ErrorKind::Dns,
            message,
            maybe_sent: false,
            permanent,
        };
    }
    let message = describe(e);
    let (kind, maybe_sent) = if e.is_connect() {
        if e.is_timeout() {
            (ErrorKind::Timeout, false)
        } else if has_tls_error(e) {
            (ErrorKind::Tls, false)
        } else {
            (ErrorKind::Connect, false)
        }
    } else if e.is_timeout() {
        (ErrorKind::Timeout, true)
    } else if has_tls_error(e) {
        // A TLS alert after the handshake: with TLS 1.3 a server that
        // refuses the client certificate (--cert) says so only then.
        (ErrorKind::Tls, true)
    } else if is_malformed_response(e) {
        (ErrorKind::Other, true)
    } else if e.is_redirect() {
        (ErrorKind::Redirect, true)
    } else {
        // Closed or reset after the request went out, before a response.
        (ErrorKind::Connect, true)
    };
    let message = match (kind, maybe_sent) {
        (ErrorKind::Tls, false) => format!("TLS handshake failed: {message}"),
        (ErrorKind::Tls, true) => format!("TLS failed after the handshake: {message}"),
        // Not `tcp connect error: deadline has elapsed`.
        (ErrorKind::Timeout, false) => "no connection within --connect-timeout".to_owned(),
        _ => message,
    };
    Failure {
        kind,
        message,
        maybe_sent,
        permanent: false,
    }
}

/// A request the client could not even build. Every URL read from the
/// input was checked to be one it carries, so this is a redirect's
/// target (a `Location` too long for it); no attempt would do better.
fn unsendable(e: &reqwest::Error) -> Failure {
    let (kind, message) = match e.url().and_then(crate::input::too_long) {
        Some(why) => (ErrorKind::Redirect, format!("redirect refused: {why}")),
        None => (
            ErrorKind::Other,
            format!("request not sent: {}", describe(e)),
        ),
    };
    Failure {
        kind,
        message,
        maybe_sent: false,
        permanent: true,
    }
}

/// A DNS failure's message — `dns: ` and the resolver's own words, not the
/// three layers that wrap them — and whether the name does not exist.
fn describe_dns(e: &reqwest::Error) -> (String, bool) {
    let innermost = sources(e).last().map(|s| s.to_string());
    let text = innermost.unwrap_or_else(|| e.to_string());
    // std's words around getaddrinfo's answer.
    let detail = text
        .strip_prefix("failed to lookup address information: ")
        .unwrap_or(&text);
    match no_such_name(detail) {
        Some(what) => (format!("dns: {what}"), true),
        None => (format!("dns: {detail}"), false),
    }
}

/// The system resolver's answer that a name does not exist (NXDOMAIN) or
/// has no address, in the words of `gai_strerror` for `EAI_NONAME` and
/// `EAI_NODATA` (glibc, musl, macOS). A timeout or a server failure
/// (`EAI_AGAIN`, `EAI_FAIL`) is not one: it may pass.
fn no_such_name(detail: &str) -> Option<&'static str> {
    const NOT_FOUND: [&str; 3] = [
        "Name or service not known",
        "Name does not resolve",
        "nodename nor servname provided, or not known",
    ];
    if NOT_FOUND.iter().any(|t| detail.contains(t)) {
        Some("name not found")
    } else if detail.contains("No address associated with hostname") {
        Some("name has no address")
    } else {
        None
    }
}

/// Maps an error while reading the body.
pub(super) fn classify_body_error(e: &reqwest::Error) -> Failure {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Body
    };
    Failure {
        kind,
        message: describe(e),
        maybe_sent: true,
        permanent: false,
    }
}

fn sources(e: &reqwest::Error) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
    std::iter::successors(std::error::Error::source(e), |e| e.source())
}

fn has_tls_error(e: &reqwest::Error) -> bool {
    // rustls errors arrive wrapped in one or more `io::Error`s, whose
    // `source()` skips the wrapped error itself: unwrap them by hand.
    fn is_tls(mut e: &(dyn std::error::Error + 'static)) -> bool {
        loop {
            if e.is::<rustls::Error>() {
                return true;
            }
            match e
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
            {
                Some(inner) => e = inner,
                None => return false,
            }
        }
    }
    sources(e).any(is_tls)
}

fn is_malformed_response(e: &reqwest::Error) -> bool {
    sources(e).any(|s| {
        s.downcast_ref::<hyper::Error>()
            .is_some_and(|h| h.is_parse() || h.is_parse_status())
    })
}

/// A one-line message from the error's causes, without reqwest's wrapper
/// text (which repeats the URL the record already has).
fn describe(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for s in sources(e) {
        let text = s.to_string();
        // Wrappers often repeat their cause's text; keep the most specific.
        if let Some(prev) = parts.last() {
            if prev.contains(&text) {
                continue;
            }
        }
        if !text.is_empty()
            && text != "client error (Connect)"
            && text != "client error (SendRequest)"
        {
            parts.push(text);
        }
    }
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    }
}

/// `EMFILE` and `ENFILE`: the same numbers on every unix.
#[cfg(unix)]
const NO_DESCRIPTOR: [i32; 2] = [24, 23];
#[cfg(not(unix))]
const NO_DESCRIPTOR: [i32; 0] = [];

/// Whether a send error is fanout's own exhaustion rather than anything
/// the server did: a connect error caused by running out of descriptors or
/// local ports.
pub(super) fn is_own_exhaustion(e: &reqwest::Error) -> bool {
    // An `io::Error`'s `source()` skips the error it wraps: unwrap by hand.
    fn exhausted(mut e: &(dyn std::error::Error + 'static)) -> bool {
        loop {
            let Some(io) = e.downcast_ref::<std::io::Error>() else {
                return false;
            };
            if io.kind() == std::io::ErrorKind::AddrNotAvailable
                || io
                    .raw_os_error()
                    .is_some_and(|n| NO_DESCRIPTOR.contains(&n))
            {
                return true;
            }
            match io.get_ref() {
                Some(inner) => e = inner,
                None => return false,
            }
        }
    }
    e.is_connect()
        && std::iter::successors(std::error::Error::source(e), |e| e.source()).any(exhausted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_missing_name_is_final() {
        for gone in [
            "Name or service not known",
            "No address associated with hostname",
            "Name does not resolve",
            "nodename nor servname provided, or not known",
        ] {
            assert!(no_such_name(gone).is_some(), "{gone}");
        }
        for passing in [
            "Temporary failure in name resolution",
            "Non-recoverable failure in name resolution",
            "Try again",
            "Connection refused (os error 111)",
        ] {
            assert!(no_such_name(passing).is_none(), "{passing}");
        }
    }
}
