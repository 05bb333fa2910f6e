//! The `fanout` binary: parse the command line, set up logging and the
//! runtime, run the library, and map the exit status it decides to an
//! `ExitCode`.

use std::io;
use std::process::ExitCode;

use clap::Parser;
use fanout::Exit;
use fanout::cli::{Cli, Parsed};

// Every request allocates and frees dozens of small objects across reqwest,
// hyper and the record; with glibc's malloc that was a sixth of the CPU per
// request (bench/README.md). mimalloc cuts it, and is built without
// transparent huge pages, which would cost 7 MiB of resident memory. Set in
// the binary only: the library leaves the choice to its users.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    ExitCode::from(fanout_main().code())
}

fn fanout_main() -> Exit {
    ignore_file_size_signal();
    let cli = Cli::parse();
    init_logging(cli.output.verbose);
    if let Some(what) = cli.output.generate {
        return match fanout::cli::generate(what, &mut io::stdout().lock()) {
            Ok(()) => Exit::Success,
            Err(e) => Exit::usage(&format!("cannot write to stdout: {e}")),
        };
    }
    let Parsed {
        config,
        input,
        finish,
    } = match cli.into_config() {
        Ok(parsed) => parsed,
        Err(e) => return Exit::usage(&format!("{e:#}")),
    };

    // One thread runs the fetches and the writer; input is read on its own
    // thread and DNS lookups use tokio's blocking pool.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return Exit::usage(&format!("cannot start the runtime: {e}")),
    };
    let stdout = io::stdout();
    let out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let result = runtime.block_on(async {
        let stop = fanout::Stop::new();
        if let Err(e) = fanout::signals::stop_on_signals(&stop) {
            tracing::warn!("cannot handle signals: {e}");
        }
        fanout::run(&config, input, out, &stop).await
    });
    // Don't wait for blocking work (a DNS lookup that hangs) on the way out.
    runtime.shutdown_background();
    finish.conclude(result)
}

/// A file-size limit (`ulimit -f`) would kill the process with SIGXFSZ in
/// the middle of saving a body (`-o`), leaving its temporary file behind.
/// Ignored, the write fails with `EFBIG` instead: a `save` error for that
/// URL, like a full disk, and the run goes on.
fn ignore_file_size_signal() {
    // SAFETY: sets the disposition of one signal to SIG_IGN before any
    // other thread exists; no handler runs.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
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
