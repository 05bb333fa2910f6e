//! The naming rules: each placeholder, hostile URLs, and a property test
//! that every name is relative, normalised and inside the directory.

use std::path::{Component, Path};

use proptest::prelude::*;

use super::*;
use crate::input::parse_url;

fn name_of(template: &str, url: &str) -> String {
    let t: Template = template.parse().unwrap();
    let u = parse_url(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    t.name(&u, url, 7)
}

fn default_name(url: &str) -> String {
    name_of(DEFAULT_TEMPLATE, url)
}

/// Everything a name must be, whatever the URL: relative, only normal
/// components, each a safe segment, within the length and depth limits.
fn check_confined(name: &str) -> Result<(), String> {
    let path = Path::new(name);
    if name.is_empty() || path.is_absolute() || name.contains('\\') || name.contains('\0') {
        return Err(format!("not a plain relative name: {name:?}"));
    }
    for c in path.components() {
        let Component::Normal(seg) = c else {
            return Err(format!("{c:?} in {name:?}"));
        };
        let seg = seg.to_str().unwrap();
        if !is_safe_segment(seg) {
            return Err(format!("unsafe segment {seg:?} in {name:?}"));
        }
    }
    if name.split('/').count() > MAX_DEPTH || name.len() > MAX_NAME {
        return Err(format!("too deep or long: {} bytes", name.len()));
    }
    // Joined to a directory, it stays under it.
    let dir = Path::new("/srv/out");
    if !dir.join(path).starts_with(dir) {
        return Err(format!("{name:?} leaves the directory"));
    }
    Ok(())
}

#[test]
fn the_default_is_host_then_path() {
    assert_eq!(
        default_name("http://example.com/a/b.txt"),
        "example.com/a/b.txt"
    );
    assert_eq!(default_name("http://example.com"), "example.com/index.html");
    assert_eq!(
        default_name("http://example.com/"),
        "example.com/index.html"
    );
    assert_eq!(
        default_name("http://example.com/a/"),
        "example.com/a/index.html"
    );
    assert_eq!(default_name("https://example.com:443/x"), "example.com/x");
    assert_eq!(
        default_name("http://example.com:8080/x"),
        "example.com_8080/x"
    );
    assert_eq!(default_name("http://[::1]:81/x"), "[__1]_81/x");
    assert_eq!(
        default_name("http://h/caf%C3%A9%20au%20lait"),
        "h/café au lait"
    );
}

#[test]
fn the_query_is_kept_and_made_safe() {
    assert_eq!(default_name("http://h/s?q=1&r=2"), "h/s@q=1&r=2");
    assert_eq!(
        default_name("http://h/?next=/a:b"),
        "h/index.html@next=%2Fa%3Ab"
    );
    assert_ne!(default_name("http://h/s?a"), default_name("http://h/s?b"));
}

#[test]
fn every_placeholder() {
    let url = "http://h:9/dir/file.tar.gz?x";
    assert_eq!(name_of("{name}", url), "file.tar.gz");
    assert_eq!(name_of("{name}", "http://h/dir/"), "index.html");
    assert_eq!(name_of("{index}.body", url), "7.body");
    assert_eq!(name_of("{hash}", url), url_hash(url));
    assert_eq!(url_hash(url).len(), 16);
    assert_eq!(
        name_of("by-host/{host}/{hash}", url),
        format!("by-host/h_9/{}", url_hash(url))
    );
    assert_eq!(name_of("/abs/{name}", url), "abs/file.tar.gz");
    // The hash is of the URL as given, so it is stable across runs.
    assert_eq!(
        url_hash("http://a/"),
        format!("{:016x}", fnv1a64(b"http://a/"))
    );
}

#[test]
fn bad_templates_are_refused() {
    for bad in ["", "{nope}", "{host", "a}b", "{}"] {
        assert!(bad.parse::<Template>().is_err(), "{bad:?}");
    }
}

#[test]
fn hostile_urls_stay_inside() {
    let long_path = format!("http://h/{}", "a/".repeat(1000));
    let long_segment = format!("http://h/{}", "b".repeat(300));
    let hostile = [
        "http://h/../../etc/passwd",
        "http://h/%2e%2e/%2e%2e/etc/passwd",
        "http://h/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "http://h/a%2fb",
        "http://h/a%5c..%5c..%5cwin.ini",
        "http://h/..\\..\\x",
        "http://h/%00nul",
        "http://h/a%0d%0ab%1b[31m",
        "http://h/%2fetc%2fpasswd",
        "http://h/C:%5cWindows",
        "http://h/CON",
        "http://h/con.txt",
        "http://h/NUL.tar.gz",
        "http://h/Com1.log",
        "http://h/lpt9",
        "http://h/COM%C2%B9",
        "http://h/aux%20.txt",
        "http://h/trailing.",
        "http://h/trailing%20",
        "http://h/%20lead",
        "http://h/%E2%80%AEtxt.exe",
        "http://h/%EF%BC%8Fetc",
        "http://h/%ff%fe",
        "http://h/.",
        "http://h/%2e",
        "http://h/a*b?c",
        "http://h/a|b<c>\"d\"",
        "http://h/über/naïve/日本語",
        &long_path,
        &long_segment,
    ];
    for url in hostile {
        let name = default_name(url);
        check_confined(&name).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(name, default_name(url), "stable");
    }
    assert_eq!(
        default_name("http://h/über/naïve/日本語"),
        "h/über/naïve/日本語"
    );
    assert!(default_name("http://h/CON").starts_with("h/_CON~"));
    assert!(default_name("http://h/con.txt").starts_with("h/_con.txt~"));
    assert!(default_name("http://h/a%2fb").starts_with("h/a_b~"));
    assert!(default_name(&long_segment).ends_with(&format!("~{}", hex(fnv1a64(&[b'b'; 300])))));
    assert_ne!(
        default_name("http://h/a%2fb"),
        default_name("http://h/a%5cb")
    );
}

#[test]
fn long_paths_fold_their_tail() {
    let a = default_name(&format!("http://h/{}x", "seg/".repeat(600)));
    let b = default_name(&format!("http://h/{}y", "seg/".repeat(600)));
    assert_ne!(a, b, "the folded tail keeps its hash");
    assert!(a.starts_with("h/seg/seg/"));
    check_confined(&a).unwrap();
}

#[test]
fn a_collision_suffix_keeps_the_name_safe() {
    let name = with_hash(&default_name("http://h/CON"), &url_hash("x"));
    check_confined(&name).unwrap();
}

/// Segments a hostile URL may hold: dots, encoded dots and slashes,
/// backslashes, controls, reserved names, Unicode, long runs.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("..".to_owned()),
        Just(".".to_owned()),
        Just("%2e%2e".to_owned()),
        Just("%2E.".to_owned()),
        Just("%2f".to_owned()),
        Just("%5c".to_owned()),
        Just("%00".to_owned()),
        Just("CON".to_owned()),
        Just("nul.txt".to_owned()),
        Just("com3.a.b".to_owned()),
        Just("a%20".to_owned()),
        Just("x.".to_owned()),
        "[a-z]{1,8}".prop_map(String::from),
        "[a-zA-Z0-9._~%-]{1,12}".prop_map(String::from),
        "\\PC{1,6}".prop_map(String::from),
        proptest::collection::vec(any::<u8>(), 1..8)
            .prop_map(|b| b.iter().map(|b| format!("%{b:02x}")).collect()),
        (1usize..400).prop_map(|n| "z".repeat(n)),
    ]
}

fn hostile_url() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("http"), Just("https")],
        prop_oneof![
            Just("h"),
            Just("h:8080"),
            Just("[::1]"),
            Just("xn--bcher-kva.de")
        ],
        proptest::collection::vec(segment(), 0..40),
        proptest::option::of("[ -~]{0,30}"),
        any::<bool>(),
    )
        .prop_map(|(scheme, host, segs, query, slash)| {
            let mut u = format!("{scheme}://{host}/{}", segs.join("/"));
            if slash {
                u.push('/');
            }
            if let Some(q) = query {
                u.push('?');
                u.push_str(&q);
            }
            u
        })
}

fn template() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("{host}"),
            Just("{path}"),
            Just("{name}"),
            Just("{index}"),
            Just("{hash}"),
            Just("/"),
            Just(".."),
            Just("./"),
            Just("x"),
        ],
        1..6,
    )
    .prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn every_name_is_relative_normalised_and_inside(url in hostile_url(), t in template()) {
        let Ok(parsed) = parse_url(&url) else { return Ok(()) };
        let template: Template = t.parse().unwrap();
        let name = template.name(&parsed, &url, 3);
        prop_assert!(check_confined(&name).is_ok(), "{} -> {}", url, check_confined(&name).unwrap_err());
        prop_assert_eq!(&name, &template.name(&parsed, &url, 3));
        let suffixed = with_hash(&name, &url_hash(&url));
        prop_assert!(check_confined(&suffixed).is_ok(), "{}", suffixed);
    }
}
