//! Saving bodies: the names files get (`--output-name`, placeholders from
//! the input URL), hostile URLs kept inside the directory, and two URLs of
//! one run never writing the same file.

use std::path::Path;

use crate::fault_server::FaultServer;
use crate::save::{dir_arg, files_under};
use crate::support::*;

#[test]
fn every_placeholder_comes_from_the_input_url() {
    let server = FaultServer::start();
    let out = tempfile::tempdir().unwrap();
    let h = host(&server);
    let d = dir_arg(out.path());
    // A redirect: the name is the input URL's, not the final one's.
    let redirected = server.url("/to?/land");
    let urls = [
        server.url("/ok/dir/"),
        server.url("/ok?q=1/2"),
        redirected.clone(),
    ];
    let run1 = run(["-o", &d, &urls[0], &urls[1], &urls[2]]);
    assert_eq!(run1.status, Some(0), "{:?}", run1.records);
    assert_eq!(
        files_under(out.path()),
        [
            format!("{h}/ok/dir/index.html"),
            format!("{h}/ok@q=1%2F2"),
            format!("{h}/to@%2Fland"),
        ]
    );
    let out2 = tempfile::tempdir().unwrap();
    let d2 = dir_arg(out2.path());
    let t = "{index}-{name}-{hash}-{host}";
    let run2 = run(["-o", &d2, "--output-name", t, &urls[0], &redirected]);
    let rs = by_index(run2.records);
    let hash = |u: &str| format!("{:016x}", fanout::input::fnv1a64(u.as_bytes()));
    let want0 = format!("{d2}/0-index.html-{}-{h}", hash(&urls[0]));
    let want1 = format!("{d2}/1-to-{}-{h}", hash(&redirected));
    assert_eq!(
        (rs[0]["saved_to"].as_str(), rs[1]["saved_to"].as_str()),
        (Some(&*want0), Some(&*want1))
    );
}

#[test]
fn hostile_urls_stay_inside_the_dir() {
    let server = FaultServer::start();
    let base = tempfile::tempdir().unwrap();
    let out = base.path().join("out");
    let long = "s/".repeat(1000);
    let paths = [
        "/ok/..%2f..%2f..%2fescape",
        "/ok/x/%2e%2e/%2e%2e/%2e%2e/ok/escape2",
        "/ok/a%5c..%5c..%5cwin",
        "/ok/%00nul%0d%0a",
        "/ok/CON",
        "/ok/nul.txt",
        "/ok/COM1.tar.gz",
        "/ok/trailing.",
        "/ok/trailing%20",
        "/ok/%E2%80%AEfdp.exe",
        &format!("/ok/{}", "x".repeat(300)),
        &format!("/ok/{long}"),
    ];
    let urls: Vec<String> = paths.iter().map(|p| server.url(p)).collect();
    let mut args = vec!["-o".to_owned(), dir_arg(&out)];
    args.extend(urls);
    let run = run(&args);
    assert_eq!(run.status, Some(0), "{:?}", run.records);
    let canon = out.canonicalize().unwrap();
    for r in &run.records {
        let saved = Path::new(r["saved_to"].as_str().unwrap());
        assert!(saved.canonicalize().unwrap().starts_with(&canon), "{r}");
    }
    assert_eq!(files_under(&out).len(), paths.len());
    let outside: Vec<_> = std::fs::read_dir(base.path()).unwrap().collect();
    assert_eq!(outside.len(), 1, "only out/ in its parent");
}

#[test]
fn the_same_url_gets_the_same_name_on_every_run() {
    let server = FaultServer::start();
    let out = tempfile::tempdir().unwrap();
    let d = dir_arg(out.path());
    let first = run(["-o", &d, &server.url("/ok/x")]);
    let again = run(["-o", &d, &server.url("/ok/x")]);
    assert_eq!(first.one()["saved_to"], again.one()["saved_to"]);
}

#[test]
fn two_urls_of_one_run_never_write_the_same_file() {
    let server = FaultServer::start();
    let out = tempfile::tempdir().unwrap();
    let d = dir_arg(out.path());
    // `//` and `/` give one name; -c 1 makes the order known.
    let (a, b) = (server.url("/ok/x"), server.url("/ok//x"));
    let run = run(["-c", "1", "-o", &d, &a, &b]);
    let rs = by_index(run.records);
    let h = host(&server);
    let hash = format!("{:016x}", fanout::input::fnv1a64(b.as_bytes()));
    assert_eq!(rs[0]["saved_to"], format!("{d}/{h}/ok/x"));
    assert_eq!(rs[1]["saved_to"], format!("{d}/{h}/ok/x~{hash}"));
    assert_eq!(files_under(out.path()).len(), 2);
}
