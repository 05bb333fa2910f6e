//! An offline tour of fanout: a small local server with fast, slow, flaky,
//! rate-limited and missing routes, and one fanout run over all of them.
//!
//! ```text
//! cargo run --release --example demo
//! ```
//!
//! Records go to stdout (pipe them into `jq` if you like); the commentary
//! goes to stderr.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use fanout::{Config, Input, Stop};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let flaky_hits = Arc::new(AtomicUsize::new(0));
    let limited_hits = Arc::new(AtomicUsize::new(0));
    let app = Router::new()
        .route("/fast", get(|| async { "fast and fine\n" }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "too late\n"
            }),
        )
        .route(
            "/flaky",
            get(move || {
                let n = flaky_hits.fetch_add(1, Ordering::SeqCst);
                async move {
                    match n {
                        0 | 1 => (StatusCode::SERVICE_UNAVAILABLE, "try again\n"),
                        _ => (StatusCode::OK, "third time lucky\n"),
                    }
                }
            }),
        )
        .route(
            "/limited",
            get(move || {
                let n = limited_hits.fetch_add(1, Ordering::SeqCst);
                async move {
                    match n {
                        0 => (
                            StatusCode::TOO_MANY_REQUESTS,
                            [("retry-after", "1")],
                            "wait a second\n",
                        ),
                        _ => (
                            StatusCode::OK,
                            [("retry-after", "0")],
                            "thanks for waiting\n",
                        ),
                    }
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let urls: Vec<String> = ["/fast", "/slow", "/flaky", "/limited", "/missing"]
        .iter()
        .map(|p| format!("{base}{p}"))
        .chain(["ftp://example.com/not-http", "not a url"].map(String::from))
        .collect();

    eprintln!("A local server is listening on {base}. The run below is the same as");
    eprintln!();
    // Where the JUnit report and the saved bodies go.
    let out = std::env::temp_dir().join(format!("fanout-demo-{}", std::process::id()));
    let junit = out.join("junit.xml");
    let bodies = out.join("bodies");
    std::fs::create_dir_all(&bodies)?;
    eprintln!("    fanout --timeout 1s --retries 2 --backoff 100ms --ordered \\");
    eprintln!(
        "        --report junit={} -o {} \\",
        junit.display(),
        bodies.display()
    );
    eprintln!("        {base}/fast {base}/slow {base}/flaky \\");
    eprintln!("        {base}/limited {base}/missing ftp://example.com/not-http 'not a url'");
    eprintln!();
    for (route, what, outcome) in [
        ("/fast", "answers at once", "ok"),
        (
            "/slow",
            "takes 30 s; --timeout is 1 s",
            "timeout, after 3 attempts",
        ),
        ("/flaky", "503, 503, then 200", "ok on attempt 3"),
        (
            "/limited",
            "429 with Retry-After: 1, then 200",
            "ok, after waiting ~1 s",
        ),
        ("/missing", "404, which is not retried", "status"),
        (
            "ftp://…",
            "a URL, but not http(s)",
            "invalid_url, no request",
        ),
        ("not a url", "not a URL at all", "invalid_url, no request"),
    ] {
        eprintln!("  {route:<9} {what:<34} -> {outcome}");
    }
    eprintln!();

    let mut config = Config::new();
    config.limits.concurrency = NonZeroUsize::new(8).expect("non-zero");
    config.limits.timeout = Duration::from_secs(1);
    config.retry.retries = 2;
    config.retry.backoff = Duration::from_millis(100);
    config.output.ordered = true;
    config.output.flush_each_record = true;
    config.verdicts.reports.push(fanout::config::ReportSpec {
        format: fanout::config::ReportFormat::Junit,
        path: junit.clone(),
    });
    config.save = Some(fanout::save::SaveSpec {
        dir: bodies.clone(),
        template: fanout::save::DEFAULT_TEMPLATE
            .parse()
            .expect("the default template"),
    });
    let mut input = Input::new();
    input.push_lines(urls);

    let stop = Stop::new();
    fanout::signals::stop_on_signals(&stop)?;
    let report = fanout::run(&config, input, std::io::stdout().lock(), &stop).await?;

    eprintln!();
    eprintln!(
        "{} URLs: {} ok, {} failed. fanout would exit with status {}",
        report.summary.records,
        report.summary.ok,
        report.summary.failed,
        report.exit().code()
    );
    eprintln!("(0 = all ok, 1 = some URL failed, 2 = usage error, 130/143 = interrupted).");
    eprintln!();
    eprintln!(
        "The JUnit report for a CI test reporter is {}; the bodies of the ok URLs",
        junit.display()
    );
    eprintln!(
        "were saved under {} (see \"saved_to\" in each record).",
        bodies.display()
    );
    Ok(())
}
