//! Records: whatever a URL, a server's header or body holds, a record is
//! written as exactly one line of JSON, and the body comes back out of it.

#![no_main]

use fanout::output::{JsonlWriter, RecordWriter};
use fanout::record::{ErrorKind, Record};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (String, String, Option<String>, Vec<u8>)| {
    let (url, message, content_type, body) = input;
    let mut r = Record::without_request(7, url.clone(), ErrorKind::Other, message.clone());
    r.content_type = content_type.clone();
    r.set_body(body.clone());
    let mut out = Vec::new();
    let mut w = JsonlWriter::new(&mut out);
    w.write(&r).unwrap();
    w.flush().unwrap();
    drop(w);
    assert_eq!(out.last(), Some(&b'\n'));
    assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1, "one line");
    let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    assert_eq!(v["url"], url.as_str());
    assert_eq!(v["error"]["message"], message.as_str());
    assert_eq!(v["content_type"].as_str(), content_type.as_deref());
    let text = v["body"].as_str().unwrap();
    let decoded = match v.get("body_encoding") {
        None => text.as_bytes().to_vec(),
        Some(e) => {
            assert_eq!(e, "base64");
            assert!(std::str::from_utf8(&body).is_err(), "UTF-8 is kept as text");
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .unwrap()
        }
    };
    assert_eq!(decoded, body);
});
