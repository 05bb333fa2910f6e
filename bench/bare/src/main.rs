//! bare: what reqwest alone costs for fanout's work, as a yardstick.
//!
//! Fetches every URL of FILE (one per line) with one reqwest client on one
//! current-thread runtime, at most C at once (`buffer_unordered`), reads
//! each body to its end, counts the 200s and writes nothing per URL. With
//! `--timeout`, each request (with its body) is given up after that many
//! seconds, as fanout's `--timeout` does; the bench's memory scenario uses
//! it against a server that never answers.
//!
//!     bare [-c C] [--cacert PEM] [--timeout SECS] FILE
//!
//! Prints `urls N ok M` to stderr at the end; exits 1 when M < N.

use std::process::ExitCode;
use std::time::Duration;

use futures::StreamExt;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    concurrency: usize,
    cacert: Option<String>,
    timeout: Option<Duration>,
    file: String,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        concurrency: 64,
        cacert: None,
        timeout: None,
        file: String::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "-c" => a.concurrency = value("-c")?.parse().map_err(|e| format!("-c: {e}"))?,
            "--cacert" => a.cacert = Some(value("--cacert")?),
            "--timeout" => {
                let secs: f64 = value("--timeout")?
                    .parse()
                    .map_err(|e| format!("--timeout: {e}"))?;
                a.timeout = Some(Duration::from_secs_f64(secs));
            }
            _ if arg.starts_with('-') => return Err(format!("unknown option {arg}")),
            _ => a.file = arg,
        }
    }
    if a.file.is_empty() || a.concurrency == 0 {
        return Err("usage: bare [-c C] [--cacert PEM] [--timeout SECS] FILE".into());
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bare: {e}");
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read_to_string(&args.file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("bare: {}: {e}", args.file);
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (urls, ok) = runtime.block_on(fetch_all(&text, &args));
    eprintln!("urls {urls} ok {ok}");
    if ok == urls {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn fetch_all(text: &str, args: &Args) -> (usize, usize) {
    let mut builder = reqwest::Client::builder();
    if let Some(path) = &args.cacert {
        let pem = std::fs::read(path).expect("the --cacert file");
        let cert = reqwest::Certificate::from_pem(&pem).expect("a PEM certificate");
        builder = builder.tls_certs_merge([cert]);
    }
    let client = builder.build().expect("a client");
    let client = &client;
    let urls = text.lines().filter(|l| !l.is_empty());
    let fetches = urls.map(|url| {
        let get = async move {
            let mut resp = client.get(url).send().await.ok()?;
            let status = resp.status().as_u16();
            while resp.chunk().await.ok()?.is_some() {}
            Some(status)
        };
        let timeout = args.timeout;
        async move {
            match timeout {
                Some(t) => tokio::time::timeout(t, get).await.ok().flatten(),
                None => get.await,
            }
        }
    });
    let mut done = futures::stream::iter(fetches).buffer_unordered(args.concurrency);
    let (mut n, mut ok) = (0, 0);
    while let Some(status) = done.next().await {
        n += 1;
        ok += usize::from(status == Some(200));
    }
    (n, ok)
}
