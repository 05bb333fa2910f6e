//! The `fanout` binary: parse the command line, set up logging and the
//! runtime, run the library, and map the outcome to an exit status.

use std::fs::File;
use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use fanout::cli::{Cli, NO_URLS};
use fanout::{Exit, RunError, Stop};

// Every request allocates and frees dozens of small objects across reqwest,
// hyper and the record; with glibc's malloc that was a sixth of the CPU per
// request (bench/README.md). mimalloc cuts it, and is built without
// transparent huge pages, which would cost 7 MiB of resident memory. Set in
// the binary only: the library leaves the choice to its users.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    if let Some(what) = cli.generate {
        return match fanout::cli::generate(what, &mut io::stdout().lock()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(Exit::Usage, &format!("cannot write to stdout: {e}")),
        };
    }
    let quiet = cli.quiet;
    // Opened before any request, so a bad path is a usage error up front.
    let stats = match cli.stats.as_deref().map(|p| (p, File::create(p))) {
        None => None,
        Some((_, Ok(file))) => Some(file),
        Some((path, Err(e))) => {
            return fail(
                Exit::Usage,
                &format!("cannot write --stats {}: {e}", path.display()),
            );
        }
    };
    let (mut config, input) = match cli.into_config() {
        Ok(parsed) => parsed,
        Err(e) => return fail(Exit::Usage, &format!("{e:#}")),
    };
    // After the inputs and --stats are open, so they are counted.
    if let Some(fit) = fanout::fdlimit::Fit::for_this_process(config.concurrency.get()) {
        if let Some(warning) = fit.warning() {
            report_error(&warning);
        }
        config.concurrency =
            std::num::NonZeroUsize::new(fit.effective).unwrap_or(config.concurrency);
    }
    let stdout = io::stdout();

    // One thread runs the fetches and the writer; input is read on its own
    // thread and DNS lookups use tokio's blocking pool.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(Exit::Usage, &format!("cannot start the runtime: {e}")),
    };
    let out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let result = runtime.block_on(async {
        let stop = Stop::new();
        if let Err(e) = stop.stop_on_signals() {
            tracing::warn!("cannot handle signals: {e}");
        }
        fanout::run(&config, input, out, &stop).await
    });
    // Don't wait for blocking work (a DNS lookup that hangs) on the way out.
    runtime.shutdown_background();

    match result {
        Ok(report) => {
            let mut exit = report.exit();
            if let Some(e) = &report.input_error {
                report_error(e);
            } else if report.urls == 0 && exit == Exit::Usage {
                return fail(exit, NO_URLS);
            }
            if !quiet {
                let _ = report.summary.write_text(&mut io::stderr().lock());
            }
            if let Some(file) = stats {
                let json = report.summary.to_json();
                if let Err(e) = serde_json::to_writer(&file, &json)
                    .and_then(|()| writeln!(&file).map_err(serde_json::Error::io))
                {
                    report_error(&format!("cannot write --stats: {e}"));
                    // An interruption's status says more than this does.
                    if matches!(exit, Exit::Success | Exit::Failure) {
                        exit = Exit::Usage;
                    }
                }
            }
            ExitCode::from(exit.code())
        }
        // The reader of our output went away (`| head -1`): not an error.
        Err(RunError::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => fail(Exit::Usage, &e.to_string()),
    }
}

fn fail(exit: Exit, message: &str) -> ExitCode {
    report_error(message);
    ExitCode::from(exit.code())
}

/// One line on stderr; a closed stderr is ignored rather than a panic.
fn report_error(message: &str) {
    let _ = writeln!(io::stderr().lock(), "fanout: {message}");
}

fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn",
        1 => "fanout=info",
        _ => "fanout=debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // Logs go to stderr: stdout carries records only.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .try_init();
}
